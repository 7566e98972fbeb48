// ap_axiu declaration for the rule checker's parse (tests/hls_rules.py). Not an implementation.
#ifndef HWGEN_RULES_AP_AXI_SDATA_H
#define HWGEN_RULES_AP_AXI_SDATA_H
#include <ap_int.h>
template <int D, int U, int TI, int TD> struct ap_axiu {
    ap_uint<D> data;
    ap_uint<(D + 7) / 8> keep;
    ap_uint<(D + 7) / 8> strb;
    ap_uint<1> last;
};
#endif
