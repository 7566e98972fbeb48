// hwgen testbench top for a generated network with weights in DRAM: hwgen_top with its AXI4
// read master served by hwgen_axi_dram, so no Python runs per clock. The stream ports are
// hwgen_top's; the cocotb testbench drives them as it drives a bare top. Verilog-2005.
`default_nettype none
module hwgen_tb_dram #(
    parameter integer IN_BITS = 8,
    parameter integer OUT_BITS = 8,
    parameter integer AXI_BITS = 256,
    parameter integer BYTES = 4096,
    parameter integer DELAY = 1,
    parameter real RATE = 32.0
) (
    input  wire                ap_clk,
    input  wire                ap_rst_n,
    input  wire [IN_BITS-1:0]  s_axis_tdata,
    input  wire                s_axis_tvalid,
    output wire                s_axis_tready,
    input  wire                s_axis_tlast,
    output wire [OUT_BITS-1:0] m_axis_tdata,
    output wire                m_axis_tvalid,
    input  wire                m_axis_tready,
    output wire                m_axis_tlast
);
    wire [0:0] arid;
    wire [31:0] araddr;
    wire [7:0] arlen;
    wire [2:0] arsize;
    wire [1:0] arburst;
    wire arvalid, arready, rvalid, rlast, rready;
    wire [AXI_BITS-1:0] rdata;
    hwgen_top u_dut (
        .ap_clk(ap_clk), .ap_rst_n(ap_rst_n),
        .s_axis_tdata(s_axis_tdata), .s_axis_tvalid(s_axis_tvalid), .s_axis_tready(s_axis_tready),
        .s_axis_tlast(s_axis_tlast),
        .m_axis_tdata(m_axis_tdata), .m_axis_tvalid(m_axis_tvalid), .m_axis_tready(m_axis_tready),
        .m_axis_tlast(m_axis_tlast),
        .m_axi_arid(arid), .m_axi_araddr(araddr), .m_axi_arlen(arlen), .m_axi_arsize(arsize),
        .m_axi_arburst(arburst), .m_axi_arvalid(arvalid), .m_axi_arready(arready),
        .m_axi_rid(1'b0), .m_axi_rresp(2'b00), .m_axi_rlast(rlast), .m_axi_rdata(rdata),
        .m_axi_rvalid(rvalid), .m_axi_rready(rready));
    hwgen_axi_dram #(.DATA_BITS(AXI_BITS), .BYTES(BYTES), .DELAY(DELAY), .RATE(RATE)) u_dram (
        .clk(ap_clk), .rst_n(ap_rst_n), .araddr(araddr), .arlen(arlen), .arvalid(arvalid),
        .arready(arready), .rdata(rdata), .rvalid(rvalid), .rlast(rlast), .rready(rready));
endmodule
`default_nettype wire
