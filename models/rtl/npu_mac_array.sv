// npu_mac_array: the MAC array and output stage of the Ethos-U85-class NPU (models/npu),
// synthesizable SystemVerilog, for the fully connected (1x1 convolution) block computation
// of docs/npu.md and the golden matmul of workloads/quant/golden.h:
//
//   y[p, c] = clamp(round_shift(sat(sum_k (x[p, k] - x_zp) * w[c, k] + bias[c]) * m', s') + y_zp,
//                   act_min, act_max)
//
// with, as workloads/quant/fixedpoint.h (docs/quantization.md "Rounding and saturation"):
//   int8 activations  (cfg_a16 = 0): sat to int32, m' = m, s' = s           (requant32)
//   int16 activations (cfg_a16 = 1): sat to 48 bits, m' = min((m + 2^15) >> 16, 32767),
//                                    s' = s - 16 (no shift when s' <= 0)     (requant64)
//   round_shift(v, s) = (v + 2^(s-1)) >>> s  (round half up, ties towards +infinity).
//
// ---- Dataflow (output stationary, one micro-block at a time) -----------------------------
// A micro-block is UB_HW OFM positions x UB_C output channels. Each input beat carries, for
// LANES (= 8) consecutive IFM depth elements, the activations of the UB_HW positions and the
// weights of the UB_C channels:
//   in_act : UB_HW x LANES x 16 bits (int8 values sign-extended when cfg_a16 = 0)
//   in_wgt : UB_C  x LANES x  8 bits
//   in_bias/in_mult/in_shift: UB_C channel parameters, sampled with the micro-block's last beat
// The array has UB_HW x UB_C x LANES multipliers of 9 x 8 bits (MACS = 128 for 1 x 16 x 8 or
// 2 x 8 x 8, 512 for 4 x 16 x 8). An int8 beat takes one cycle (operand x - x_zp, 9 bits). An
// int16 beat takes two passes on the same multipliers: the low byte (unsigned) and the high
// byte (signed, product shifted by 8); in_ready is low during the first pass. A micro-block is
// cfg_nbeats = ceil(K / 8) beats (the test bench pads K with zero weights).
//
// ---- Pipeline stages and their latency ------------------------------------------------------
//   M1 (1 cycle): 9x8 products, an adder tree over the LANES depth elements -> partial sums.
//   M2 (1 cycle): accumulate into ACC_W-bit accumulators (exact for K < 2^(ACC_W - 24));
//                 on the micro-block's last pass the sums go to the output buffer (ping-pong
//                 with the accumulators, so the next micro-block's MACs overlap its output).
//   O1 (1 cycle): OUT_LANES elements per cycle: + bias, saturate to 32 / 48 bits, pick m', s'.
//   O2 (1 cycle): the multiply v * m'.
//   O3 (1 cycle): rounding shift, + y_zp, clamp -> out_data (out_valid).
// The output buffer drains in NG = UB_HW * UB_C / OUT_LANES cycles (the Vela output-unit rate:
// OUT_LANES = 1 / AO cycles per element, 2 on 128 MACs, 8 on 512). The last beat of a micro-
// block is accepted only when the output buffer will be free, so the array stalls when NG is
// larger than a micro-block's MAC cycles.
//
// ---- Cycles per block ---------------------------------------------------------------------
// One micro-block occupies the array for max(NB x P, NG) cycles, NB = ceil(K / 8) beats, P = 2
// for int16 activations, else 1. An OFM block of NU micro-blocks streamed back to back (first
// beat in cycle 0; the last output registered at the end of cycle T - 1):
//     T = NB x P + (NU - 1) x max(NB x P, NG) + NG + 3
//       = NU x NB x P + NG + 3                      when NB x P >= NG (no output stall)
// In steady state (blocks back to back) a block costs NU x max(NB x P, NG) cycles. The NPU
// model's (Vela's) MAC term for the same block is NU x ceil(D / 8) x P summed over its IFM depth
// blocks (ethos_u85_arch.cpp, mac_cycles_per_depth_block): the same when K is a multiple of the
// depth block D (the model charges a partial depth block as a full one). NG + 3 is this
// pipeline's fill and drain, which the model's AO stage overlaps with the next block.
//
// Configuration inputs (cfg_*) are quasi-static: change them only while the array is idle.
// cfg_a16 = 1 requires cfg_x_zp = 0 (int16 activations are symmetric, docs/quantization.md).
module npu_mac_array #(
    parameter int UB_HW = 4,       // OFM positions per micro-block (micro-block H x W)
    parameter int UB_C = 16,       // output channels per micro-block
    parameter int LANES = 8,       // IFM depth elements per beat
    parameter int ACC_W = 48,      // accumulator width (32 is exact for int8 only)
    parameter int OUT_LANES = 8    // output elements per cycle of the output stage
) (
    input logic clk,
    input logic rst_n,
    // configuration
    input logic cfg_a16,
    input logic signed [7:0] cfg_x_zp,
    input logic signed [15:0] cfg_y_zp,
    input logic signed [15:0] cfg_act_min,
    input logic signed [15:0] cfg_act_max,
    input logic [15:0] cfg_nbeats,
    // input stream (ready/valid)
    input logic in_valid,
    output logic in_ready,
    input logic [UB_HW*LANES*16-1:0] in_act,
    input logic [UB_C*LANES*8-1:0] in_wgt,
    input logic [UB_C*ACC_W-1:0] in_bias,
    input logic [UB_C*32-1:0] in_mult,
    input logic [UB_C*6-1:0] in_shift,
    // output stream (the OFM write buffer always accepts)
    output logic out_valid,
    output logic [$clog2(UB_HW*UB_C/OUT_LANES+1)-1:0] out_group,
    output logic [OUT_LANES*16-1:0] out_data
);
  localparam int NE = UB_HW * UB_C;  // elements per micro-block
  localparam int NG = NE / OUT_LANES;  // output groups per micro-block
  localparam int GW = $clog2(NG + 1);
  localparam int PW = 28;  // partial-sum width: 8 x (9 x 8 products) << 8
  localparam int VW = 49;  // output-stage value width after bias and saturation
  localparam int XW = 82;  // product width

  // ---- M1: products and the depth adder tree -------------------------------------------
  logic ph;  // int16: 0 = low-byte pass, 1 = high-byte pass
  logic [15:0] bcnt;  // beats of the current micro-block accepted so far
  logic last_beat, first_pass, final_pass, fire, can_last;
  logic s1_valid, s1_first, s1_last;
  logic signed [PW-1:0] part[NE];
  logic signed [PW-1:0] s1_part[NE];
  logic [UB_C*ACC_W-1:0] s1_bias;
  logic [UB_C*32-1:0] s1_mult;
  logic [UB_C*6-1:0] s1_shift;
  logic [GW-1:0] rem;  // output groups still to read from the output buffer

  assign last_beat = bcnt == cfg_nbeats - 16'd1;
  assign first_pass = bcnt == 16'd0 && (!cfg_a16 || !ph);
  assign final_pass = last_beat && (!cfg_a16 || ph);
  // The last pass may go only if the output buffer is free when M2 writes it.
  assign can_last = (s1_valid && s1_last) ? (NG <= 1) : (rem <= GW'(2));
  assign in_ready = (!cfg_a16 || ph) && (!last_beat || can_last);
  // A pass enters M1 this cycle: an accepted beat, or the first pass of an int16 beat.
  assign fire = in_valid && (in_ready || (cfg_a16 && !ph));

  always_comb begin
    for (int p = 0; p < UB_HW; p++)
      for (int c = 0; c < UB_C; c++) begin
        logic signed [PW-1:0] sum;
        sum = '0;
        for (int k = 0; k < LANES; k++) begin
          logic [15:0] x;
          logic signed [8:0] a;
          logic signed [7:0] w;
          logic signed [16:0] prod;
          x = in_act[(p*LANES+k)*16+:16];
          w = in_wgt[(c*LANES+k)*8+:8];
          if (!cfg_a16) a = $signed({x[7], x[7:0]}) - $signed({cfg_x_zp[7], cfg_x_zp});
          else if (!ph) a = $signed({1'b0, x[7:0]});
          else a = $signed({x[15], x[15:8]});
          prod = a * w;
          sum = sum + PW'(prod);
        end
        part[p*UB_C+c] = (cfg_a16 && ph) ? (sum <<< 8) : sum;
      end
  end

  always_ff @(posedge clk or negedge rst_n) begin
    if (!rst_n) begin
      ph <= 1'b0;
      bcnt <= '0;
      s1_valid <= 1'b0;
      s1_first <= 1'b0;
      s1_last <= 1'b0;
    end else begin
      s1_valid <= fire;
      s1_first <= fire && first_pass;
      s1_last <= fire && final_pass;
      if (fire) begin
        if (cfg_a16) ph <= !ph;
        if (!cfg_a16 || ph) bcnt <= last_beat ? 16'd0 : bcnt + 16'd1;
      end
    end
  end

  always_ff @(posedge clk) begin
    if (fire) begin
      for (int e = 0; e < NE; e++) s1_part[e] <= part[e];
      if (final_pass) begin
        s1_bias <= in_bias;
        s1_mult <= in_mult;
        s1_shift <= in_shift;
      end
    end
  end

  // ---- M2: accumulators and the output buffer ------------------------------------------
  logic signed [ACC_W-1:0] acc[NE];
  logic signed [ACC_W-1:0] obuf[NE];
  logic [UB_C*ACC_W-1:0] ob_bias;
  logic [UB_C*32-1:0] ob_mult;
  logic [UB_C*6-1:0] ob_shift;

  always_ff @(posedge clk) begin
    if (s1_valid)
      for (int e = 0; e < NE; e++) begin
        logic signed [ACC_W-1:0] nxt;
        nxt = (s1_first ? ACC_W'(0) : acc[e]) + ACC_W'(s1_part[e]);
        acc[e] <= nxt;
        if (s1_last) obuf[e] <= nxt;
      end
    if (s1_valid && s1_last) begin
      ob_bias <= s1_bias;
      ob_mult <= s1_mult;
      ob_shift <= s1_shift;
    end
  end

  always_ff @(posedge clk or negedge rst_n) begin
    if (!rst_n) rem <= '0;
    else if (s1_valid && s1_last) rem <= GW'(NG);
    else if (rem != '0) rem <= rem - GW'(1);
  end

  // ---- O1: bias, saturation, multiplier and shift selection -----------------------------
  localparam logic signed [VW-1:0] MAX32 = VW'(64'sh7FFF_FFFF);
  localparam logic signed [VW-1:0] MIN32 = -VW'(64'sh8000_0000);
  localparam logic signed [VW-1:0] MAX48 = VW'(64'sh7FFF_FFFF_FFFF);
  localparam logic signed [VW-1:0] MIN48 = -VW'(64'sh8000_0000_0000);
  logic [GW-1:0] grp;
  logic o1_valid, o2_valid;
  logic [GW-1:0] o1_group, o2_group;
  logic signed [VW-1:0] o1_v[OUT_LANES];
  logic signed [32:0] o1_m[OUT_LANES];
  logic [5:0] o1_s[OUT_LANES];
  logic signed [XW-1:0] o2_p[OUT_LANES];
  logic [5:0] o2_s[OUT_LANES];
  assign grp = GW'(NG) - rem;

  always_ff @(posedge clk or negedge rst_n) begin
    if (!rst_n) begin
      o1_valid <= 1'b0;
      o2_valid <= 1'b0;
      out_valid <= 1'b0;
    end else begin
      o1_valid <= rem != '0;
      o2_valid <= o1_valid;
      out_valid <= o2_valid;
    end
  end

  always_ff @(posedge clk) begin
    o1_group <= grp;
    for (int i = 0; i < OUT_LANES; i++) begin
      int e, c;
      logic signed [VW-1:0] v;
      logic signed [31:0] m;
      logic [5:0] s;
      logic [16:0] m16;
      e = int'(grp) * OUT_LANES + i;
      c = e % UB_C;
      v = VW'(obuf[e]) + VW'($signed(ob_bias[c*ACC_W+:ACC_W]));
      m = $signed(ob_mult[c*32+:32]);
      s = ob_shift[c*6+:6];
      if (!cfg_a16) begin
        o1_v[i] <= v > MAX32 ? MAX32 : (v < MIN32 ? MIN32 : v);
        o1_m[i] <= 33'(m);
        o1_s[i] <= s;
      end else begin
        m16 = 17'((33'(m) + 33'sd32768) >>> 16);  // m >= 0: at most 2^15
        o1_v[i] <= v > MAX48 ? MAX48 : (v < MIN48 ? MIN48 : v);
        o1_m[i] <= m16 > 17'd32767 ? 33'sd32767 : 33'($signed({1'b0, m16}));
        o1_s[i] <= s > 6'd16 ? s - 6'd16 : 6'd0;
      end
    end
  end

  // ---- O2: multiply ---------------------------------------------------------------------
  always_ff @(posedge clk) begin
    o2_group <= o1_group;
    for (int i = 0; i < OUT_LANES; i++) begin
      o2_p[i] <= XW'(o1_v[i]) * XW'(o1_m[i]);
      o2_s[i] <= o1_s[i];
    end
  end

  // ---- O3: rounding shift, zero point, clamp --------------------------------------------
  always_ff @(posedge clk) begin
    out_group <= o2_group;
    for (int i = 0; i < OUT_LANES; i++) begin
      logic signed [XW-1:0] r, lo, hi;
      r = o2_s[i] == 6'd0 ? o2_p[i] : (o2_p[i] + (XW'(1) <<< (o2_s[i] - 6'd1))) >>> o2_s[i];
      r = r + XW'(cfg_y_zp);
      lo = XW'(cfg_act_min);
      hi = XW'(cfg_act_max);
      r = r < lo ? lo : (r > hi ? hi : r);
      out_data[i*16+:16] <= r[15:0];
    end
  end
endmodule
