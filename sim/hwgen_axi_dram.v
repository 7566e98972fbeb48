// hwgen testbench: behavioural AXI4 slave emulating the simulator's DRAM channel
// (hwgen.hw.contract.dma_cycles), simulation only. Verilog-2005.
//
// ARREADY and AWREADY are always high; read and write bursts join one queue in arrival order (the DMA
// issues one transfer at a time, as the simulator's in-order queue). A burst's data is available DELAY
// cycles after its AR/AW handshake (DELAY = latency - DRAM_AR_CYCLES: the DMA's request-to-address
// cycles are the rest of the channel latency); while data keeps coming (the next burst is available by
// the time the previous one ends) the beats of that busy period move at RATE bytes per cycle, beat i
// (from 0) no earlier than ceil((i+1) * BEAT / RATE) - 1 cycles after the period began and at most one
// per cycle: a read beat as RVALID, a write beat as WREADY (taken when WVALID is high; every byte is
// written, in order, so a later read sees it). BVALID follows a write burst's last beat by one cycle.
// The division is IEEE double arithmetic, as in the simulator's formula. IMAGE "" starts from zeros.
// A clock edge with dump high writes the memory to DUMP ($writememh, one byte per line) for the testbench.
`default_nettype none
module hwgen_axi_dram #(
    parameter integer DATA_BITS = 256,
    parameter integer BYTES = 4096,   // memory size (the image, one byte per line)
    parameter integer DELAY = 1,
    parameter real RATE = 32.0,       // bytes per cycle, at most DATA_BITS / 8
    parameter integer BURSTS = 4096,  // outstanding bursts the model queues
    parameter IMAGE = "hwgen_weights.hex",
    parameter DUMP = "hwgen_fmap_dram.hex"
) (
    input  wire                 clk,
    input  wire                 dump,
    input  wire                 rst_n,
    input  wire [31:0]          araddr,
    input  wire [7:0]           arlen,
    input  wire                 arvalid,
    output wire                 arready,
    output reg  [DATA_BITS-1:0] rdata,
    output reg                  rvalid,
    output reg                  rlast,
    input  wire                 rready,
    input  wire [31:0]          awaddr,
    input  wire [7:0]           awlen,
    input  wire                 awvalid,
    output wire                 awready,
    input  wire [DATA_BITS-1:0] wdata,
    input  wire                 wvalid,
    output reg                  wready,
    /* verilator lint_off UNUSEDSIGNAL */  // burst lengths come from AW
    input  wire                 wlast,
    /* verilator lint_on UNUSEDSIGNAL */
    output reg                  bvalid,
    /* verilator lint_off UNUSEDSIGNAL */  // the DMA always takes a response
    input  wire                 bready
    /* verilator lint_on UNUSEDSIGNAL */
);
    localparam integer BEAT = DATA_BITS / 8;
    reg [7:0] mem [0:BYTES-1];
    reg [31:0] q_addr [0:BURSTS-1];
    integer q_left [0:BURSTS-1];
    integer q_avail [0:BURSTS-1];
    reg q_wr [0:BURSTS-1];
    integer head, tail, queued, cycle, last, p0, sent, due, i;
    assign arready = 1'b1;
    assign awready = 1'b1;
    initial begin
        for (i = 0; i < BYTES; i = i + 1) mem[i] = 8'd0;
        if (IMAGE != "") $readmemh(IMAGE, mem);
        head = 0; tail = 0; queued = 0; cycle = 0; last = -1; p0 = 0; sent = 0;
        rdata = {DATA_BITS{1'b0}}; rvalid = 1'b0; rlast = 1'b0; wready = 1'b0; bvalid = 1'b0;
    end
    task push(input [31:0] addr, input [7:0] len, input wr);
        begin
            if (addr % BEAT != 0 || addr / 4096 != (addr + (len + 1) * BEAT - 1) / 4096 ||
                addr + (len + 1) * BEAT > BYTES) begin
                $display("hwgen_axi_dram: AXI burst at %0h of %0d beats is unaligned, crosses 4 KB or leaves the memory",
                         addr, len + 1);
                $finish;
            end
            if (queued == BURSTS) begin
                $display("hwgen_axi_dram: more than %0d outstanding bursts", BURSTS);
                $finish;
            end
            q_addr[tail] = addr;
            q_left[tail] = len + 1;
            q_avail[tail] = cycle + DELAY;
            q_wr[tail] = wr;
            tail = (tail + 1) % BURSTS;
            queued = queued + 1;
        end
    endtask
    always @(posedge clk)
        if (dump) $writememh(DUMP, mem);
    always @(posedge clk) begin
        cycle = cycle + 1;
        bvalid <= 1'b0;
        if (rst_n) begin
            if ((rvalid && rready) || (wready && wvalid)) begin  // a beat handed over at this edge
                last = cycle;
                sent = sent + 1;
                if (wready)
                    for (i = 0; i < BEAT; i = i + 1)
                        mem[q_addr[head] + i] = wdata[8*i +: 8];
                q_addr[head] = q_addr[head] + BEAT;
                q_left[head] = q_left[head] - 1;
                if (q_left[head] == 0) begin
                    bvalid <= q_wr[head];
                    head = (head + 1) % BURSTS;
                    queued = queued - 1;
                end
            end
            if (arvalid) push(araddr, arlen, 1'b0);
            if (awvalid) push(awaddr, awlen, 1'b1);
            // Offer the beat due at the next edge.
            due = cycle + 2;
            if (queued != 0) begin
                if (q_avail[head] > last + 1) begin  // the channel went idle: a new busy period
                    p0 = q_avail[head];
                    sent = 0;
                end
                due = p0 + $rtoi($ceil(((sent + 1) * BEAT) / RATE)) - 1;
                if (due < last + 1) due = last + 1;
            end
            rvalid <= 1'b0;
            rlast <= 1'b0;
            wready <= 1'b0;
            if (queued != 0 && due <= cycle + 1) begin
                if (q_wr[head]) begin
                    wready <= 1'b1;
                end else begin
                    for (i = 0; i < BEAT; i = i + 1)
                        rdata[8*i +: 8] <= mem[q_addr[head] + i];
                    rvalid <= 1'b1;
                    rlast <= (q_left[head] == 1);
                end
            end
        end
    end
endmodule
`default_nettype wire
