# Cross-compiling bare-metal RV32 programs at build time (Debian gcc-riscv64-unknown-elf +
# picolibc-riscv64-unknown-elf; see ../shared/docs/toolchain-notes.md).
#
#   slmsim_rv32_program(NAME SOURCES src... [INCLUDES dir...] [DEFINES d...] [CFLAGS f...])
#     -> ${SLMSIM_RV32_OUT}/NAME.elf, linked with picolibc.ld at 0x8000_0000 (flash 1 MiB,
#        RAM 15 MiB), workloads/kernels/rv32/{start.S,htif.c,regdump.S}. Target rv32_NAME;
#        every program is a dependency of the target `rv32_programs`.
#     Optional: START file (replaces rv32/start.S), LINK_SYMS sym=value... (replace the
#     __flash/__ram/__stack_size definitions: another memory map, e.g. the cluster's L2).
# Compile flags: -march=rv32imc_zicsr_zifencei -mabi=ilp32 (binutils 2.40 wants Zicsr and
# Zifencei named); link: -march=rv32imc, which selects picolibc's rv32im/ilp32 multilib.
# Sets SLMSIM_HAVE_RV32_GCC. When the compiler or picolibc is missing, configure says which
# Debian package to install and the RV32 programs (and the tests that need them) are skipped.
find_program(SLMSIM_RV32_GCC riscv64-unknown-elf-gcc)
set(SLMSIM_HAVE_RV32_GCC OFF)
if(NOT SLMSIM_RV32_GCC)
  message(WARNING "riscv64-unknown-elf-gcc not found: the RV32 test programs and kernels are not built and "
                  "their tests are skipped. Install the Debian packages gcc-riscv64-unknown-elf and "
                  "picolibc-riscv64-unknown-elf (scripts/install-deps.sh).")
elseif(NOT EXISTS /usr/lib/picolibc/riscv64-unknown-elf/picolibc.specs)
  message(WARNING "picolibc for riscv64-unknown-elf not found (/usr/lib/picolibc/riscv64-unknown-elf/picolibc.specs): "
                  "install the Debian package picolibc-riscv64-unknown-elf (scripts/install-deps.sh). "
                  "The RV32 test programs and kernels are not built and their tests are skipped.")
else()
  set(SLMSIM_HAVE_RV32_GCC ON)
endif()
set(SLMSIM_RV32_OUT ${PROJECT_BINARY_DIR}/rv32)
set(SLMSIM_RV32_RT ${PROJECT_SOURCE_DIR}/workloads/kernels/rv32)
if(SLMSIM_HAVE_RV32_GCC AND NOT TARGET rv32_programs)
  add_custom_target(rv32_programs ALL)
endif()

function(slmsim_rv32_program name)
  if(NOT SLMSIM_HAVE_RV32_GCC)
    return()
  endif()
  cmake_parse_arguments(P "" "START" "SOURCES;INCLUDES;DEFINES;CFLAGS;LINK_SYMS" ${ARGN})
  set(start ${SLMSIM_RV32_RT}/start.S)
  if(P_START)
    set(start ${P_START})
  endif()
  set(linksyms -Wl,--defsym=__flash=0x80000000 -Wl,--defsym=__flash_size=0x100000
               -Wl,--defsym=__ram=0x80100000 -Wl,--defsym=__ram_size=0xF00000
               -Wl,--defsym=__stack_size=0x40000)
  if(P_LINK_SYMS)
    set(linksyms)
    foreach(s ${P_LINK_SYMS})
      list(APPEND linksyms -Wl,--defsym=${s})
    endforeach()
  endif()
  set(common -mabi=ilp32 --specs=picolibc.specs -O2 -g -Wall -I${SLMSIM_RV32_RT} -I${PROJECT_SOURCE_DIR})
  foreach(i ${P_INCLUDES})
    list(APPEND common -I${i})
  endforeach()
  foreach(d ${P_DEFINES})
    list(APPEND common -D${d})
  endforeach()
  list(APPEND common ${P_CFLAGS})
  set(objs)
  set(dir ${SLMSIM_RV32_OUT}/${name}.obj)
  foreach(src ${start} ${SLMSIM_RV32_RT}/htif.c ${SLMSIM_RV32_RT}/regdump.S ${P_SOURCES})
    get_filename_component(base ${src} NAME)
    set(obj ${dir}/${base}.o)
    add_custom_command(OUTPUT ${obj}
      COMMAND ${CMAKE_COMMAND} -E make_directory ${dir}
      COMMAND ${SLMSIM_RV32_GCC} -march=rv32imc_zicsr_zifencei ${common} -MD -MF ${obj}.d -c ${src} -o ${obj}
      DEPENDS ${src} ${SLMSIM_RV32_RT}/htif.h
      DEPFILE ${obj}.d  # the headers the compiler read (Ninja and Makefiles; IMPLICIT_DEPENDS was Makefiles only)
      COMMENT "RV32 cc ${base} (${name})" VERBATIM)
    list(APPEND objs ${obj})
  endforeach()
  set(elf ${SLMSIM_RV32_OUT}/${name}.elf)
  add_custom_command(OUTPUT ${elf}
    COMMAND ${SLMSIM_RV32_GCC} -march=rv32imc ${common} -nostartfiles
            ${linksyms} ${objs} -o ${elf}
    DEPENDS ${objs}
    COMMENT "RV32 link ${name}.elf" VERBATIM)
  add_custom_target(rv32_${name} DEPENDS ${elf})
  add_dependencies(rv32_programs rv32_${name})
endfunction()
