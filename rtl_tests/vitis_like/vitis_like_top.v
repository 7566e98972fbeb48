// Test fixture: hwgen_top behind the port names and block-level control a Vitis HLS export has
// (in_r_* / out_r_* AXI4-Stream with TKEEP/TSTRB, s_axi_control AXI4-Lite, ap_start at 0x00), so the
// cosim testbench's Vitis path is exercised without Vitis. The streams stay closed until ap_start.
`default_nettype none
module vitis_like_top #(
    parameter integer IN_BITS = 24,
    parameter integer OUT_BITS = 8
) (
    input  wire                  ap_clk,
    input  wire                  ap_rst_n,
    input  wire [IN_BITS-1:0]    in_r_TDATA,
    input  wire                  in_r_TVALID,
    output wire                  in_r_TREADY,
    input  wire                  in_r_TLAST,
    input  wire [IN_BITS/8-1:0]  in_r_TKEEP,
    input  wire [IN_BITS/8-1:0]  in_r_TSTRB,
    output wire [OUT_BITS-1:0]   out_r_TDATA,
    output wire                  out_r_TVALID,
    input  wire                  out_r_TREADY,
    output wire                  out_r_TLAST,
    output wire [OUT_BITS/8-1:0] out_r_TKEEP,
    output wire [OUT_BITS/8-1:0] out_r_TSTRB,
    input  wire [5:0]            s_axi_control_AWADDR,
    input  wire                  s_axi_control_AWVALID,
    output wire                  s_axi_control_AWREADY,
    input  wire [31:0]           s_axi_control_WDATA,
    input  wire [3:0]            s_axi_control_WSTRB,
    input  wire                  s_axi_control_WVALID,
    output wire                  s_axi_control_WREADY,
    output wire [1:0]            s_axi_control_BRESP,
    output reg                   s_axi_control_BVALID,
    input  wire                  s_axi_control_BREADY,
    input  wire [5:0]            s_axi_control_ARADDR,
    input  wire                  s_axi_control_ARVALID,
    output wire                  s_axi_control_ARREADY,
    output wire [31:0]           s_axi_control_RDATA,
    output wire [1:0]            s_axi_control_RRESP,
    output reg                   s_axi_control_RVALID,
    input  wire                  s_axi_control_RREADY
);
    reg started;
    wire aw_w = s_axi_control_AWVALID && s_axi_control_WVALID && !s_axi_control_BVALID;
    assign s_axi_control_AWREADY = aw_w;
    assign s_axi_control_WREADY = aw_w;
    assign s_axi_control_BRESP = 2'b00;
    assign s_axi_control_ARREADY = !s_axi_control_RVALID;
    assign s_axi_control_RDATA = {31'd0, started};
    assign s_axi_control_RRESP = 2'b00;
    always @(posedge ap_clk) begin
        if (!ap_rst_n) begin
            started <= 1'b0;
            s_axi_control_BVALID <= 1'b0;
            s_axi_control_RVALID <= 1'b0;
        end else begin
            if (aw_w) begin
                s_axi_control_BVALID <= 1'b1;
                if (s_axi_control_AWADDR == 6'h00 && s_axi_control_WDATA[0]) started <= 1'b1;
            end else if (s_axi_control_BREADY) begin
                s_axi_control_BVALID <= 1'b0;
            end
            if (s_axi_control_ARVALID && !s_axi_control_RVALID) s_axi_control_RVALID <= 1'b1;
            else if (s_axi_control_RREADY) s_axi_control_RVALID <= 1'b0;
        end
    end
    wire tready, tvalid;
    assign in_r_TREADY = tready && started;
    assign out_r_TVALID = tvalid && started;
    assign out_r_TKEEP = {OUT_BITS/8{1'b1}};
    assign out_r_TSTRB = {OUT_BITS/8{1'b1}};
    hwgen_top u_core (
        .ap_clk(ap_clk), .ap_rst_n(ap_rst_n),
        .s_axis_tdata(in_r_TDATA), .s_axis_tvalid(in_r_TVALID && started), .s_axis_tready(tready),
        .s_axis_tlast(in_r_TLAST),
        .m_axis_tdata(out_r_TDATA), .m_axis_tvalid(tvalid), .m_axis_tready(out_r_TREADY && started),
        .m_axis_tlast(out_r_TLAST));
endmodule
`default_nettype wire
