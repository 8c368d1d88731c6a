/* Runtime of the slmsim cluster (models/cluster/cluster.h, docs/siracusa.md): core id,
 * barrier, dispatch FIFO (fork/join) and the MCHAN-like DMA, as memory-mapped registers.
 * Every core runs the program from _start (cluster_start.S): stacks of CL_STACK_BYTES per
 * core (workers and the controller) at the bottom of L1, kernels use L1 from CL_L1_FREE. */
#pragma once
#include <stdint.h>

#define CL_L1_BASE 0x10000000u
#define CL_DMA_BASE 0x10200400u
#define CL_EU_BASE 0x10200800u
#define CL_NE_BASE 0x10201000u   /* N-EUREKA job registers (models/cluster/cluster.h NeReg) */
#define CL_WMEM_BASE 0x10400000u /* weight memory (MRAM), N-EUREKA's direct port */
#define CL_L2_BASE 0x1C000000u
#define CL_STACK_BYTES 0x800u
#define CL_MAX_CORES 8u
#define CL_STACK_SLOTS (CL_MAX_CORES + 1u) /* the workers and the controller (models/cluster kL1KernelBase) */
#define CL_L1_FREE (CL_L1_BASE + CL_STACK_SLOTS * CL_STACK_BYTES)
#define CL_IO_BASE 0x1C140000u /* host-written job and tensors (L2, above the program) */

#define CL_REG(a) (*(volatile uint32_t*)(a))

static inline uint32_t cl_core_id(void) {
  uint32_t id;
  __asm__ volatile("csrr %0, mhartid" : "=r"(id));
  return id;
}
static inline uint32_t cl_nb_cores(void) { return CL_REG(CL_EU_BASE + 0x04); }
/* All team cores wait here until every one has arrived (they sleep, retiring nothing). */
static inline void cl_barrier(void) { (void)CL_REG(CL_EU_BASE + 0x08); }
static inline void cl_dispatch_push(uint32_t v) { CL_REG(CL_EU_BASE + 0x10) = v; }
static inline uint32_t cl_dispatch_pop(void) { return CL_REG(CL_EU_BASE + 0x14); }
static inline uint32_t cl_cycles(void) {
  uint32_t c;
  __asm__ volatile("csrr %0, mcycle" : "=r"(c));
  return c;
}

/* DMA: rows x len bytes; row r from/to l1 + r * l1_stride and l2 + r * l2_stride. Returns the id. */
static inline uint32_t cl_dma_2d(uint32_t l1, uint32_t l2, uint32_t len, uint32_t rows, uint32_t l1_stride,
                                 uint32_t l2_stride, int to_l1) {
  CL_REG(CL_DMA_BASE + 0x00) = l1;
  CL_REG(CL_DMA_BASE + 0x04) = l2;
  CL_REG(CL_DMA_BASE + 0x08) = len;
  CL_REG(CL_DMA_BASE + 0x0C) = rows;
  CL_REG(CL_DMA_BASE + 0x10) = l1_stride;
  CL_REG(CL_DMA_BASE + 0x14) = l2_stride;
  return to_l1 ? CL_REG(CL_DMA_BASE + 0x18) : CL_REG(CL_DMA_BASE + 0x1C);
}
static inline uint32_t cl_dma_in(void* l1, const void* l2, uint32_t len) {
  return cl_dma_2d((uint32_t)l1, (uint32_t)l2, len, 1, 0, 0, 1);
}
static inline uint32_t cl_dma_out(void* l2, const void* l1, uint32_t len) {
  return cl_dma_2d((uint32_t)l1, (uint32_t)l2, len, 1, 0, 0, 0);
}
/* Sleeps until transfer `id` and every earlier one have completed. */
static inline void cl_dma_wait(uint32_t id) { CL_REG(CL_DMA_BASE + 0x20) = id; }
static inline uint32_t cl_dma_done(void) { return CL_REG(CL_DMA_BASE + 0x24); }

/* N-EUREKA: write the job registers (offsets of NeReg), then trigger; wait sleeps until the
 * job (and every earlier one) has completed. */
#define CL_NE_M 0x00
#define CL_NE_K 0x04
#define CL_NE_N 0x08
#define CL_NE_X 0x0C
#define CL_NE_X_STRIDE 0x10
#define CL_NE_W 0x14
#define CL_NE_W_STRIDE 0x18
#define CL_NE_Y 0x1C
#define CL_NE_Y_STRIDE 0x20
#define CL_NE_MULT 0x24
#define CL_NE_SHIFT 0x28
#define CL_NE_BIAS 0x2C
#define CL_NE_FLAGS 0x30 /* bit 0 bias, bit 1 weights from the weight memory */
#define CL_NE_ZP 0x34    /* bits 7:0 x_zp, 15:8 y_zp */
#define CL_NE_CLAMP 0x38
#define CL_NE_SPATIAL_W 0x3C
static inline void cl_ne_set(uint32_t reg, uint32_t v) { CL_REG(CL_NE_BASE + reg) = v; }
static inline uint32_t cl_ne_trigger(void) { return CL_REG(CL_NE_BASE + 0x40); }
static inline void cl_ne_wait(uint32_t id) { CL_REG(CL_NE_BASE + 0x44) = id; }
