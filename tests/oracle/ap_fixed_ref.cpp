// Reference layer outputs in Xilinx ap_fixed arithmetic, independent of hwgen's integer requantizer.
//
// Every value is an ap_fixed: activations ap_fixed<WA,IA>, weights ap_fixed<WW,IW>, products and sums in
// a wide exact ap_fixed accumulator; the output is the assignment of that sum to
// ap_fixed<WO,IO,AP_RND_CONV,AP_SAT> (Xilinx's round-half-to-even and saturation), then ReLU6 as
// clamps against 0 and the largest value <= 6 of the output type (6.0 converted with AP_TRN).
// Average pooling is the exact sum divided by the window size with ap_fixed division at 40 extra
// fractional bits, so its rounding is that of the true average (see docs/testing.md for why 40 suffice).
//
// Layer kind and formats are compile-time template arguments: the test writes formats.inc, one line
// HWGEN_FORMAT(id, kind, WA, IA, WW, IW, WO, IO) per combination it needs (kind 0 conv, 1 dw, 2 pw, 3 fc,
// 4 pool), and compiles this file once.
//
// Input (stdin, whitespace separated integers): the combination's id, H W C Ho Wo Co K S pad_top pad_left relu6, then H*W*C activation codes (HWC order), then
// K*K*C*Co weight codes (conv: (ky, kx, cin, cout); dw: (ky, kx, c); pw/fc: (cin, cout)), then Co bias
// codes at the product's fraction (FA + FW); pool has no weights or bias. A code q of ap_fixed<W,I>
// stands for q * 2^(I-W). Output (stdout): Ho*Wo*Co output codes, HWC order, one per line.
#include <ap_fixed.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <type_traits>
#include <vector>

namespace {

// Accumulator: 40 integer bits above any product, exact for the sums of the test layers.
constexpr int ACC_W = 96;

template <int W, int I>
ap_fixed<W, I> from_code(long long q) {
    return ap_fixed<W, I>(std::ldexp(static_cast<double>(q), I - W));  // exact: |q| < 2^53
}


template <int W, int I, ap_q_mode Q, ap_o_mode O>
long long to_code(const ap_fixed<W, I, Q, O> &v) {
    const unsigned long long u = v.range(W - 1, 0).to_uint64();  // the raw bits, sign-extended below
    return (u >> (W - 1)) ? static_cast<long long>(u) - (1LL << W) : static_cast<long long>(u);
}

struct Layer {
    int h, w, c, ho, wo, co, k, s, pt, pl, relu6;
};

long long read_code() {
    long long v;
    if (std::scanf("%lld", &v) != 1) std::exit(3);
    return v;
}

// Output value of one (oy, ox, oc) of a weighted layer: bias + sum of products, converted to OUT.
template <int KIND, int WA, int IA, int WW, int IW, typename OUT>
struct Mac {
    static constexpr int FP = (WA - IA) + (WW - IW);
    using acc_t = ap_fixed<ACC_W, ACC_W - FP>;
    std::vector<ap_fixed<WW, IW>> wt;
    std::vector<acc_t> bias;

    explicit Mac(const Layer &l) {
        wt.resize(KIND == 1 ? static_cast<size_t>(l.k) * l.k * l.c : static_cast<size_t>(l.k) * l.k * l.c * l.co);
        for (auto &v : wt) v = from_code<WW, IW>(read_code());
        bias.resize(l.co);
        for (auto &v : bias) v = acc_t(std::ldexp(static_cast<double>(read_code()), -FP));
    }

    OUT operator()(const Layer &l, const std::vector<ap_fixed<WA, IA>> &x, int oy, int ox, int oc) const {
        acc_t acc = bias[oc];
        for (int ky = 0; ky < l.k; ++ky) {
            for (int kx = 0; kx < l.k; ++kx) {
                const int iy = oy * l.s - l.pt + ky, ix = ox * l.s - l.pl + kx;
                if (iy < 0 || iy >= l.h || ix < 0 || ix >= l.w) continue;  // zero padding
                const size_t px = (static_cast<size_t>(iy) * l.w + ix) * l.c, tap = static_cast<size_t>(ky) * l.k + kx;
                if (KIND == 1) {
                    acc += x[px + oc] * wt[tap * l.c + oc];
                } else {
                    for (int ic = 0; ic < l.c; ++ic) acc += x[px + ic] * wt[(tap * l.c + ic) * l.co + oc];
                }
            }
        }
        return OUT(acc);  // AP_RND_CONV, then AP_SAT
    }
};

// Global average pooling: the exact sum divided by the window size at 40 extra fractional bits.
template <int WA, int IA, typename OUT>
struct Pool {
    explicit Pool(const Layer &) {}

    OUT operator()(const Layer &l, const std::vector<ap_fixed<WA, IA>> &x, int, int, int oc) const {
        constexpr int FA = WA - IA;
        ap_fixed<ACC_W, ACC_W - FA> sum = 0;
        for (int p = 0; p < l.h * l.w; ++p) sum += x[static_cast<size_t>(p) * l.c + oc];
        const ap_fixed<ACC_W + 40, ACC_W - FA> wide = sum;
        const ap_fixed<ACC_W + 40, ACC_W - FA> avg = wide / ap_int<32>(l.h * l.w);
        return OUT(avg);
    }
};

template <int KIND, int WA, int IA, int WW, int IW, int WO, int IO>
void run_layer() {
    using out_t = ap_fixed<WO, IO, AP_RND_CONV, AP_SAT>;
    using kernel_t = typename std::conditional<KIND == 4, Pool<WA, IA, out_t>, Mac<KIND, WA, IA, WW, IW, out_t>>::type;
    Layer l;
    if (std::scanf("%d %d %d %d %d %d %d %d %d %d %d", &l.h, &l.w, &l.c, &l.ho, &l.wo, &l.co, &l.k, &l.s, &l.pt,
                   &l.pl, &l.relu6) != 11)
        std::exit(3);
    std::vector<ap_fixed<WA, IA>> x(static_cast<size_t>(l.h) * l.w * l.c);
    for (auto &v : x) v = from_code<WA, IA>(read_code());
    const kernel_t kernel(l);
    const out_t zero = 0;
    const ap_fixed<WO, IO, AP_TRN, AP_SAT> six_floor = 6.0;  // the largest output value <= 6
    const out_t six = six_floor;
    for (int oy = 0; oy < l.ho; ++oy) {
        for (int ox = 0; ox < l.wo; ++ox) {
            for (int oc = 0; oc < l.co; ++oc) {
                out_t y = kernel(l, x, oy, ox, oc);
                if (l.relu6) {
                    if (y < zero) y = zero;
                    if (y > six) y = six;
                }
                std::printf("%lld\n", to_code(y));
            }
        }
    }
}

}  // namespace

int main() {
    int id;
    if (std::scanf("%d", &id) != 1) return 3;
#define HWGEN_FORMAT(ID, KIND, WA, IA, WW, IW, WO, IO) \
    if (id == (ID)) { run_layer<KIND, WA, IA, WW, IW, WO, IO>(); return 0; }
#include "formats.inc"
#undef HWGEN_FORMAT
    std::fprintf(stderr, "unknown format id %d\n", id);
    return 2;
}
