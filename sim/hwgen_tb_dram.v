// hwgen testbench top for a generated network with weights and/or feature maps in DRAM: hwgen_top with its
// weight bundle (m_axi_*, read only) served by one hwgen_axi_dram loaded with the weights and its feature-map
// bundle (m_axi_f_*, reads and writes) by another, so no Python runs per clock. Both models emulate the same
// channel: the DMA moves one transfer at a time on one of the two bundles. The stream ports are hwgen_top's;
// the cocotb testbench drives them as it drives a bare top. Verilog-2005.
`default_nettype none
module hwgen_tb_dram #(
    parameter integer IN_BITS = 8,
    parameter integer OUT_BITS = 8,
    parameter integer AXI_BITS = 256,
    parameter integer BYTES = 4096,
    parameter integer DELAY = 1,
    parameter real RATE = 32.0,
    parameter integer FAXI_BITS = 32,
    parameter integer FBYTES = 4096,
    parameter real FRATE = 4.0
) (
    input  wire                ap_clk,
    input  wire                ap_rst_n,
    input  wire                dram_dump,  // the testbench asks the map DRAM model for its contents
    input  wire [IN_BITS-1:0]  s_axis_tdata,
    input  wire                s_axis_tvalid,
    output wire                s_axis_tready,
    input  wire                s_axis_tlast,
    output wire [OUT_BITS-1:0] m_axis_tdata,
    output wire                m_axis_tvalid,
    input  wire                m_axis_tready,
    output wire                m_axis_tlast
);
    /* verilator lint_off UNUSEDSIGNAL */  // single ID, INCR bursts, the sizes the models assume
    wire [0:0] arid, f_arid, f_awid;
    wire [2:0] arsize, f_arsize, f_awsize;
    wire [1:0] arburst, f_arburst, f_awburst;
    wire [FAXI_BITS/8-1:0] f_wstrb;
    wire rlast, f_rlast, bvalid_w;
    /* verilator lint_on UNUSEDSIGNAL */
    wire [31:0] araddr, f_araddr, f_awaddr;
    wire [7:0] arlen, f_arlen, f_awlen;
    wire arvalid, arready, rvalid, rready;
    wire f_arvalid, f_arready, f_rvalid, f_rready, f_awvalid, f_awready, f_wvalid, f_wready, f_wlast;
    wire f_bvalid, f_bready;
    wire wready_w;
    wire [AXI_BITS-1:0] rdata;
    wire [FAXI_BITS-1:0] f_rdata, f_wdata;
    hwgen_top u_dut (
        .ap_clk(ap_clk), .ap_rst_n(ap_rst_n),
        .s_axis_tdata(s_axis_tdata), .s_axis_tvalid(s_axis_tvalid), .s_axis_tready(s_axis_tready),
        .s_axis_tlast(s_axis_tlast),
        .m_axis_tdata(m_axis_tdata), .m_axis_tvalid(m_axis_tvalid), .m_axis_tready(m_axis_tready),
        .m_axis_tlast(m_axis_tlast),
        .m_axi_arid(arid), .m_axi_araddr(araddr), .m_axi_arlen(arlen), .m_axi_arsize(arsize),
        .m_axi_arburst(arburst), .m_axi_arvalid(arvalid), .m_axi_arready(arready),
        .m_axi_rid(1'b0), .m_axi_rresp(2'b00), .m_axi_rlast(rlast), .m_axi_rdata(rdata),
        .m_axi_rvalid(rvalid), .m_axi_rready(rready),
        .m_axi_f_arid(f_arid), .m_axi_f_araddr(f_araddr), .m_axi_f_arlen(f_arlen), .m_axi_f_arsize(f_arsize),
        .m_axi_f_arburst(f_arburst), .m_axi_f_arvalid(f_arvalid), .m_axi_f_arready(f_arready),
        .m_axi_f_rid(1'b0), .m_axi_f_rresp(2'b00), .m_axi_f_rlast(f_rlast), .m_axi_f_rdata(f_rdata),
        .m_axi_f_rvalid(f_rvalid), .m_axi_f_rready(f_rready),
        .m_axi_f_awid(f_awid), .m_axi_f_awaddr(f_awaddr), .m_axi_f_awlen(f_awlen), .m_axi_f_awsize(f_awsize),
        .m_axi_f_awburst(f_awburst), .m_axi_f_awvalid(f_awvalid), .m_axi_f_awready(f_awready),
        .m_axi_f_wdata(f_wdata), .m_axi_f_wstrb(f_wstrb), .m_axi_f_wlast(f_wlast), .m_axi_f_wvalid(f_wvalid),
        .m_axi_f_wready(f_wready), .m_axi_f_bid(1'b0), .m_axi_f_bresp(2'b00), .m_axi_f_bvalid(f_bvalid),
        .m_axi_f_bready(f_bready));
    hwgen_axi_dram #(.DATA_BITS(AXI_BITS), .BYTES(BYTES), .DELAY(DELAY), .RATE(RATE)) u_dram (
        .clk(ap_clk), .dump(1'b0), .rst_n(ap_rst_n), .araddr(araddr), .arlen(arlen), .arvalid(arvalid),
        .arready(arready), .rdata(rdata), .rvalid(rvalid), .rlast(rlast), .rready(rready),
        .awaddr(32'd0), .awlen(8'd0), .awvalid(1'b0), .awready(), .wdata({AXI_BITS{1'b0}}), .wvalid(1'b0),
        .wready(wready_w), .wlast(1'b0), .bvalid(bvalid_w), .bready(1'b1));
    hwgen_axi_dram #(.DATA_BITS(FAXI_BITS), .BYTES(FBYTES), .DELAY(DELAY), .RATE(FRATE), .IMAGE("")) u_fdram (
        .clk(ap_clk), .dump(dram_dump), .rst_n(ap_rst_n), .araddr(f_araddr), .arlen(f_arlen), .arvalid(f_arvalid),
        .arready(f_arready), .rdata(f_rdata), .rvalid(f_rvalid), .rlast(f_rlast), .rready(f_rready),
        .awaddr(f_awaddr), .awlen(f_awlen), .awvalid(f_awvalid), .awready(f_awready), .wdata(f_wdata),
        .wvalid(f_wvalid), .wready(f_wready), .wlast(f_wlast), .bvalid(f_bvalid), .bready(f_bready));
    // Tie-offs only: the weight model takes no writes.
    wire unused_ok = &{1'b0, wready_w};
endmodule
`default_nettype wire
