#include "models/npu/command_stream.h"

#include <cstdio>
#include <sstream>

namespace slm::npu {

const char* opcode_name(uint16_t op) {
  switch (op) {
#define N(x) case x: return #x;
    N(NPU_OP_STOP) N(NPU_OP_IRQ) N(NPU_OP_CONV) N(NPU_OP_DEPTHWISE) N(NPU_OP_POOL) N(NPU_OP_ELEMENTWISE) N(NPU_OP_RESIZE)
    N(NPU_OP_DMA_START) N(NPU_OP_DMA_WAIT) N(NPU_OP_KERNEL_WAIT) N(NPU_OP_PMU_MASK)
    N(NPU_SET_IFM_PAD_TOP) N(NPU_SET_IFM_PAD_LEFT) N(NPU_SET_IFM_PAD_RIGHT) N(NPU_SET_IFM_PAD_BOTTOM)
    N(NPU_SET_IFM_DEPTH_M1) N(NPU_SET_IFM_PRECISION) N(NPU_SET_IFM_UPSCALE) N(NPU_SET_IFM_ZERO_POINT)
    N(NPU_SET_IFM_WIDTH0_M1) N(NPU_SET_IFM_HEIGHT0_M1) N(NPU_SET_IFM_HEIGHT1_M1) N(NPU_SET_IFM_REGION)
    N(NPU_SET_OFM_WIDTH_M1) N(NPU_SET_OFM_HEIGHT_M1) N(NPU_SET_OFM_DEPTH_M1) N(NPU_SET_OFM_PRECISION)
    N(NPU_SET_OFM_BLK_WIDTH_M1) N(NPU_SET_OFM_BLK_HEIGHT_M1) N(NPU_SET_OFM_BLK_DEPTH_M1) N(NPU_SET_OFM_ZERO_POINT)
    N(NPU_SET_OFM_WIDTH0_M1) N(NPU_SET_OFM_HEIGHT0_M1) N(NPU_SET_OFM_HEIGHT1_M1) N(NPU_SET_OFM_REGION)
    N(NPU_SET_KERNEL_WIDTH_M1) N(NPU_SET_KERNEL_HEIGHT_M1) N(NPU_SET_KERNEL_STRIDE) N(NPU_SET_PARALLEL_MODE)
    N(NPU_SET_ACC_FORMAT) N(NPU_SET_ACTIVATION) N(NPU_SET_ACTIVATION_MIN) N(NPU_SET_ACTIVATION_MAX)
    N(NPU_SET_WEIGHT_REGION) N(NPU_SET_SCALE_REGION) N(NPU_SET_AB_START) N(NPU_SET_BLOCKDEP)
    N(NPU_SET_DMA0_SRC_REGION) N(NPU_SET_DMA0_DST_REGION) N(NPU_SET_DMA0_SIZE0) N(NPU_SET_DMA0_SIZE1)
    N(NPU_SET_IFM2_BROADCAST) N(NPU_SET_IFM2_SCALAR) N(NPU_SET_IFM2_PRECISION) N(NPU_SET_IFM2_ZERO_POINT)
    N(NPU_SET_IFM2_WIDTH0_M1) N(NPU_SET_IFM2_HEIGHT0_M1) N(NPU_SET_IFM2_HEIGHT1_M1) N(NPU_SET_IFM2_REGION)
    N(NPU_SET_IFM_BASE0) N(NPU_SET_IFM_STRIDE_X) N(NPU_SET_IFM_STRIDE_Y) N(NPU_SET_IFM_STRIDE_C)
    N(NPU_SET_OFM_BASE0) N(NPU_SET_OFM_STRIDE_X) N(NPU_SET_OFM_STRIDE_Y) N(NPU_SET_OFM_STRIDE_C)
    N(NPU_SET_WEIGHT_BASE) N(NPU_SET_WEIGHT_LENGTH) N(NPU_SET_SCALE_BASE) N(NPU_SET_SCALE_LENGTH)
    N(NPU_SET_OFM_SCALE) N(NPU_SET_OPA_SCALE) N(NPU_SET_OPB_SCALE) N(NPU_SET_DMA0_SRC) N(NPU_SET_DMA0_DST)
    N(NPU_SET_DMA0_LEN) N(NPU_SET_IFM2_BASE0) N(NPU_SET_IFM2_STRIDE_X) N(NPU_SET_IFM2_STRIDE_Y) N(NPU_SET_IFM2_STRIDE_C)
#undef N
    default: return "";
  }
}

std::string Fault::str() const {
  char buf[64];
  std::snprintf(buf, sizeof buf, " (word %u, 0x%08x): ", word, value);
  return "command " + std::to_string(index) + buf + cause;
}

std::vector<Command> decode(const uint32_t* words, size_t n, std::optional<Fault>* fault) {
  std::vector<Command> out;
  uint32_t index = 0;
  for (size_t i = 0; i < n; ++index) {
    Command c;
    c.word = static_cast<uint32_t>(i);
    c.index = index;
    const uint32_t w = words[i];
    c.opcode = static_cast<uint16_t>(w & 0xFFFF);
    c.param = static_cast<uint16_t>(w >> 16);
    c.cmd1 = (c.opcode & kCmd1Bit) != 0;
    if (!*opcode_name(c.opcode)) {
      if (fault) *fault = Fault{index, c.word, w, "unknown opcode 0x" + [&] { char b[8]; std::snprintf(b, sizeof b, "%04x", c.opcode); return std::string(b); }()};
      return out;
    }
    if (c.cmd1) {
      if (i + 1 >= n) {
        if (fault) *fault = Fault{index, c.word, w, std::string(opcode_name(c.opcode)) + " is a cmd1 but the stream ends before its payload word"};
        return out;
      }
      c.payload = words[i + 1];
      i += 2;
    } else {
      i += 1;
    }
    out.push_back(c);
    if (c.opcode == NPU_OP_STOP) return out;
  }
  return out;
}

std::string disassemble(const std::vector<Command>& cmds) {
  std::ostringstream os;
  char buf[160];
  for (const auto& c : cmds) {
    if (c.cmd1)
      std::snprintf(buf, sizeof buf, "%6u  %06x  %-26s param 0x%04x  payload 0x%08x (%d)", c.index, c.word, opcode_name(c.opcode),
                    c.param, c.payload, static_cast<int32_t>(c.payload));
    else
      std::snprintf(buf, sizeof buf, "%6u  %06x  %-26s param 0x%04x (%d)", c.index, c.word, opcode_name(c.opcode), c.param,
                    static_cast<int16_t>(c.param));
    os << buf << "\n";
  }
  return os.str();
}

void CommandWriter::cmd0(uint16_t opcode, uint16_t param) {
  words_.push_back(uint32_t{opcode} | (uint32_t{param} << 16));
  ++commands_;
}

void CommandWriter::cmd1(uint16_t opcode, uint32_t payload, uint16_t param) {
  words_.push_back(uint32_t(opcode | kCmd1Bit) | (uint32_t{param} << 16));
  words_.push_back(payload);
  ++commands_;
}

void CommandWriter::addr(uint16_t opcode, uint64_t address) {
  cmd1(opcode, static_cast<uint32_t>(address), static_cast<uint16_t>((address >> 32) & 0xFF));
}

void CommandWriter::set0(uint16_t opcode, uint16_t param) {
  if (!dedup) return cmd0(opcode, param);
  for (auto& [op, v] : last_)
    if (op == opcode) {
      if (v == param) return;
      v = param;
      cmd0(opcode, param);
      return;
    }
  last_.push_back({opcode, param});
  cmd0(opcode, param);
}

void CommandWriter::set1(uint16_t opcode, uint32_t payload, uint16_t param) {
  if (!dedup) return cmd1(opcode, payload, param);
  const uint64_t val = (uint64_t{param} << 32) | payload;
  for (auto& [op, v] : last_)
    if (op == opcode) {
      if (v == val) return;
      v = val;
      cmd1(opcode, payload, param);
      return;
    }
  last_.push_back({opcode, val});
  cmd1(opcode, payload, param);
}

}  // namespace slm::npu
