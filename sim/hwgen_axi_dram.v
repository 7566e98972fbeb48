// hwgen testbench: behavioural AXI4 read slave emulating the simulator's DRAM channel
// (hwgen.hw.contract.weight_load_cycles), simulation only. Verilog-2005.
//
// ARREADY is always high. A burst's data is available DELAY cycles after its AR handshake
// (DELAY = latency - DRAM_AR_CYCLES: the loader's request-to-AR cycles are the rest of the
// channel latency); while data keeps coming (the next burst is available by the time the previous
// one ends) the beats of that busy period leave at RATE bytes per cycle, beat i (from 0) no
// earlier than ceil((i+1) * BEAT / RATE) - 1 cycles after the period began and at most one per
// cycle. The division is IEEE double arithmetic, as in the simulator's formula.
`default_nettype none
module hwgen_axi_dram #(
    parameter integer DATA_BITS = 256,
    parameter integer BYTES = 4096,   // image size (hwgen_weights.hex, one byte per line)
    parameter integer DELAY = 1,
    parameter real RATE = 32.0,       // bytes per cycle, at most DATA_BITS / 8
    parameter integer BURSTS = 4096,  // outstanding bursts the model queues
    parameter IMAGE = "hwgen_weights.hex"
) (
    input  wire                 clk,
    input  wire                 rst_n,
    input  wire [31:0]          araddr,
    input  wire [7:0]           arlen,
    input  wire                 arvalid,
    output wire                 arready,
    output reg  [DATA_BITS-1:0] rdata,
    output reg                  rvalid,
    output reg                  rlast,
    input  wire                 rready
);
    localparam integer BEAT = DATA_BITS / 8;
    reg [7:0] mem [0:BYTES-1];
    reg [31:0] q_addr [0:BURSTS-1];
    integer q_left [0:BURSTS-1];
    integer q_avail [0:BURSTS-1];
    integer head, tail, queued, cycle, last, p0, sent, due, i;
    assign arready = 1'b1;
    initial begin
        $readmemh(IMAGE, mem);
        head = 0; tail = 0; queued = 0; cycle = 0; last = -1; p0 = 0; sent = 0;
        rdata = {DATA_BITS{1'b0}}; rvalid = 1'b0; rlast = 1'b0;
    end
    always @(posedge clk) begin
        cycle = cycle + 1;
        if (rst_n) begin
            if (rvalid && rready) begin  // a beat handed over at this edge
                last = cycle;
                sent = sent + 1;
                q_addr[head] = q_addr[head] + BEAT;
                q_left[head] = q_left[head] - 1;
                if (q_left[head] == 0) begin
                    head = (head + 1) % BURSTS;
                    queued = queued - 1;
                end
            end
            if (arvalid) begin
                if (araddr % BEAT != 0 || araddr / 4096 != (araddr + (arlen + 1) * BEAT - 1) / 4096) begin
                    $display("hwgen_axi_dram: AXI burst at %0h of %0d beats is unaligned or crosses 4 KB", araddr, arlen + 1);
                    $finish;
                end
                if (queued == BURSTS) begin
                    $display("hwgen_axi_dram: more than %0d outstanding bursts", BURSTS);
                    $finish;
                end
                q_addr[tail] = araddr;
                q_left[tail] = arlen + 1;
                q_avail[tail] = cycle + DELAY;
                tail = (tail + 1) % BURSTS;
                queued = queued + 1;
            end
            // Drive the beat due at the next edge.
            due = cycle + 2;
            if (queued != 0) begin
                if (q_avail[head] > last + 1) begin  // the channel went idle: a new busy period
                    p0 = q_avail[head];
                    sent = 0;
                end
                due = p0 + $rtoi($ceil(((sent + 1) * BEAT) / RATE)) - 1;
                if (due < last + 1) due = last + 1;
            end
            if (queued != 0 && due <= cycle + 1) begin
                for (i = 0; i < BEAT; i = i + 1)
                    rdata[8*i +: 8] <= mem[q_addr[head] + i];
                rvalid <= 1'b1;
                rlast <= (q_left[head] == 1);
            end else begin
                rvalid <= 1'b0;
                rlast <= 1'b0;
            end
        end
    end
endmodule
`default_nettype wire
