// The NPU command stream: encoding, decoding and disassembly (docs/npu-command-stream.md).
//
// Modelled on the Ethos-U command set, with its public opcode names and values (anchors A4b:
// Linux drivers/accel/ethosu, Vela's command-stream generator):
//   cmd0: one 32-bit word, bits [15:0] the opcode (bit 14 clear), bits [31:16] a 16-bit
//         parameter;
//   cmd1: the same first word with bit 14 of the opcode set, then one 32-bit payload word.
//         For addresses the parameter's low 8 bits are address bits [39:32].
// Register-setting commands (NPU_SET_*) load the NPU's command registers; operation
// commands (NPU_OP_*) start work with the registers' current values. The subset modelled
// and the slmsim extensions (integer special functions, a 32-bit-input exp LUT, the depth
// reduction semantics of POOL) are listed in the document; everything else is a fault.
// Decoding never trusts the stream: a bad opcode, a truncated cmd1, a value out of range
// or an operation the model does not support is a Fault naming the command index, the
// word and the cause.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace slm::npu {

// Operation commands (cmd0).
enum Op : uint16_t {
  NPU_OP_STOP = 0x000,
  NPU_OP_IRQ = 0x001,
  NPU_OP_CONV = 0x002,         // param bit 0: weights from IFM2 (matrix multiply)
  NPU_OP_DEPTHWISE = 0x003,    // not modelled
  NPU_OP_POOL = 0x005,         // param: pooling mode
  NPU_OP_ELEMENTWISE = 0x006,  // param: element-wise mode
  NPU_OP_RESIZE = 0x007,       // not modelled
  NPU_OP_DMA_START = 0x010,
  NPU_OP_DMA_WAIT = 0x011,
  NPU_OP_KERNEL_WAIT = 0x012,
  NPU_OP_PMU_MASK = 0x013,
};

// Register-setting commands: cmd0 (16-bit value) ...
enum Set0 : uint16_t {
  NPU_SET_IFM_PAD_TOP = 0x100,
  NPU_SET_IFM_PAD_LEFT = 0x101,
  NPU_SET_IFM_PAD_RIGHT = 0x102,
  NPU_SET_IFM_PAD_BOTTOM = 0x103,
  NPU_SET_IFM_DEPTH_M1 = 0x104,
  NPU_SET_IFM_PRECISION = 0x105,
  NPU_SET_IFM_UPSCALE = 0x107,
  NPU_SET_IFM_ZERO_POINT = 0x109,
  NPU_SET_IFM_WIDTH0_M1 = 0x10A,
  NPU_SET_IFM_HEIGHT0_M1 = 0x10B,
  NPU_SET_IFM_HEIGHT1_M1 = 0x10C,
  NPU_SET_IFM_REGION = 0x10F,
  NPU_SET_OFM_WIDTH_M1 = 0x111,
  NPU_SET_OFM_HEIGHT_M1 = 0x112,
  NPU_SET_OFM_DEPTH_M1 = 0x113,
  NPU_SET_OFM_PRECISION = 0x114,
  NPU_SET_OFM_BLK_WIDTH_M1 = 0x115,
  NPU_SET_OFM_BLK_HEIGHT_M1 = 0x116,
  NPU_SET_OFM_BLK_DEPTH_M1 = 0x117,
  NPU_SET_OFM_ZERO_POINT = 0x118,
  NPU_SET_OFM_WIDTH0_M1 = 0x11A,
  NPU_SET_OFM_HEIGHT0_M1 = 0x11B,
  NPU_SET_OFM_HEIGHT1_M1 = 0x11C,
  NPU_SET_OFM_REGION = 0x11F,
  NPU_SET_KERNEL_WIDTH_M1 = 0x120,
  NPU_SET_KERNEL_HEIGHT_M1 = 0x121,
  NPU_SET_KERNEL_STRIDE = 0x122,
  NPU_SET_PARALLEL_MODE = 0x123,
  NPU_SET_ACC_FORMAT = 0x124,
  NPU_SET_ACTIVATION = 0x125,
  NPU_SET_ACTIVATION_MIN = 0x126,
  NPU_SET_ACTIVATION_MAX = 0x127,
  NPU_SET_WEIGHT_REGION = 0x128,
  NPU_SET_SCALE_REGION = 0x129,
  NPU_SET_AB_START = 0x12D,
  NPU_SET_BLOCKDEP = 0x12F,
  NPU_SET_DMA0_SRC_REGION = 0x130,
  NPU_SET_DMA0_DST_REGION = 0x131,
  NPU_SET_DMA0_SIZE0 = 0x132,
  NPU_SET_DMA0_SIZE1 = 0x133,
  NPU_SET_IFM2_BROADCAST = 0x180,
  NPU_SET_IFM2_SCALAR = 0x181,
  NPU_SET_IFM2_PRECISION = 0x185,
  NPU_SET_IFM2_ZERO_POINT = 0x189,
  NPU_SET_IFM2_WIDTH0_M1 = 0x18A,
  NPU_SET_IFM2_HEIGHT0_M1 = 0x18B,
  NPU_SET_IFM2_HEIGHT1_M1 = 0x18C,
  NPU_SET_IFM2_REGION = 0x18F,
};

// ... and cmd1 (32-bit payload; opcode bit 14 set).
enum Set1 : uint16_t {
  NPU_SET_IFM_BASE0 = 0x4000,
  NPU_SET_IFM_STRIDE_X = 0x4004,
  NPU_SET_IFM_STRIDE_Y = 0x4005,
  NPU_SET_IFM_STRIDE_C = 0x4006,
  NPU_SET_OFM_BASE0 = 0x4010,
  NPU_SET_OFM_STRIDE_X = 0x4014,
  NPU_SET_OFM_STRIDE_Y = 0x4015,
  NPU_SET_OFM_STRIDE_C = 0x4016,
  NPU_SET_WEIGHT_BASE = 0x4020,
  NPU_SET_WEIGHT_LENGTH = 0x4021,
  NPU_SET_SCALE_BASE = 0x4022,
  NPU_SET_SCALE_LENGTH = 0x4023,
  NPU_SET_OFM_SCALE = 0x4024,
  NPU_SET_OPA_SCALE = 0x4025,
  NPU_SET_OPB_SCALE = 0x4026,
  NPU_SET_DMA0_SRC = 0x4030,
  NPU_SET_DMA0_DST = 0x4031,
  NPU_SET_DMA0_LEN = 0x4032,
  NPU_SET_IFM2_BASE0 = 0x4080,
  NPU_SET_IFM2_STRIDE_X = 0x4084,
  NPU_SET_IFM2_STRIDE_Y = 0x4085,
  NPU_SET_IFM2_STRIDE_C = 0x4086,
};

constexpr uint16_t kCmd1Bit = 0x4000;

// NPU_OP_POOL parameter (public: MAX 0, AVERAGE 1, REDUCE_SUM 2). In this model pooling
// reduces over the IFM depth (C) to one value per (H, W) position; AVERAGE with an IFM
// depth of 1 is the identity pass Vela uses for a stand-alone LUT activation.
enum PoolMode : uint16_t { POOL_MAX = 0, POOL_AVERAGE = 1, POOL_REDUCE_SUM = 2 };

// NPU_OP_ELEMENTWISE parameter: the public modes 0..9 and slmsim's integer special functions.
enum EwMode : uint16_t {
  EW_MUL = 0, EW_ADD = 1, EW_SUB = 2, EW_MIN = 3, EW_MAX = 4, EW_LRELU = 5, EW_ABS = 6, EW_CLZ = 7, EW_SHR = 8, EW_SHL = 9,
  EW_RECIP46 = 16,  // extension: floor(2^46 / IFM), IFM >= 1 (the softmax reciprocal)
  EW_RSQRT46 = 17,  // extension: floor(2^46 / isqrt(IFM x 2^32)), IFM in [1, 2^32) (the RMSNorm scale)
};

// Precision registers (IFM/IFM2/OFM_PRECISION), this model's layout: bits [1:0] element
// size (0: 8, 1: 16, 2: 32, 3: 64 bits), bit 2 signed.
enum Precision : uint16_t { PREC_B8 = 0, PREC_B16 = 1, PREC_B32 = 2, PREC_B64 = 3, PREC_SIGNED = 4 };

// NPU_SET_ACTIVATION: bits [4:0] function (0: clip to ACTIVATION_MIN/MAX; 16..23: TABLE_0..7,
// a LUT in slot n), bit 15: clip enabled (else clip to the OFM type's range).
constexpr uint16_t kActClip = 0, kActTable0 = 16, kActClipEnable = 0x8000;

struct Command {
  uint16_t opcode = 0;
  uint16_t param = 0;
  uint32_t payload = 0;   // cmd1 only
  bool cmd1 = false;
  uint32_t index = 0;     // position in the stream (commands, not words)
  uint32_t word = 0;      // word offset of its first word
  uint64_t address() const { return (uint64_t{param & 0xFFu} << 32) | payload; }  // cmd1 addresses
};

// A problem in a command stream, reported as the NPU would raise it (STATUS cmd_parse_error).
struct Fault {
  uint32_t index = 0;     // command index
  uint32_t word = 0;      // word offset
  uint32_t value = 0;     // the first word
  std::string cause;
  std::string str() const;  // "command 12 (word 20, 0x00044002): cause"
};

// The name of an opcode, or "" if the model does not know it.
const char* opcode_name(uint16_t opcode);
// Decodes words [0, n); stops at NPU_OP_STOP or the end. The Fault, if any, describes the
// first undecodable command (unknown opcode, truncated cmd1).
std::vector<Command> decode(const uint32_t* words, size_t n, std::optional<Fault>* fault);
// One line per command: "  12  0x4010 NPU_SET_OFM_BASE0  region-offset 0x00001a40".
std::string disassemble(const std::vector<Command>& cmds);

// Builds a command stream.
class CommandWriter {
 public:
  void cmd0(uint16_t opcode, uint16_t param = 0);
  void cmd1(uint16_t opcode, uint32_t payload, uint16_t param = 0);
  void addr(uint16_t opcode, uint64_t address);  // cmd1 with address bits [39:32] in the parameter
  // Emits cmd0/cmd1 only when the register's value changes (as Vela's generator does);
  // with dedup off (counting an upper bound), always.
  bool dedup = true;
  void set0(uint16_t opcode, uint16_t param);
  void set1(uint16_t opcode, uint32_t payload, uint16_t param = 0);
  const std::vector<uint32_t>& words() const { return words_; }
  uint32_t commands() const { return commands_; }

 private:
  std::vector<uint32_t> words_;
  uint32_t commands_ = 0;
  std::vector<std::pair<uint16_t, uint64_t>> last_;  // register -> last value (param << 32 | payload)
};

}  // namespace slm::npu
