// Declarations of the ap_types the generated design uses, for the rule checker's libclang parse
// only (tests/hls_rules.py): every value converts to long long, so expressions type-check and the
// widths stay visible in the template arguments. Not an implementation.
#ifndef HWGEN_RULES_AP_INT_H
#define HWGEN_RULES_AP_INT_H

template <int W, bool S> struct ap_range_ref;

template <int W, bool S> struct ap_base {
    ap_base() {}
    template <class T> ap_base(const T &) {}
    operator long long() const { return 0; }
    template <class T> ap_base &operator=(const T &) { return *this; }
    template <class T> ap_base &operator+=(const T &) { return *this; }
    template <class T> ap_base &operator-=(const T &) { return *this; }
    template <class T> ap_base &operator|=(const T &) { return *this; }
    template <class T> ap_base &operator&=(const T &) { return *this; }
    template <class T> ap_base &operator<<=(const T &) { return *this; }
    template <class T> ap_base &operator>>=(const T &) { return *this; }
    ap_range_ref<W, S> range(int, int) const;
    ap_base<1, false> operator[](int) const;
    int to_int() const { return 0; }
    long long to_int64() const { return 0; }
    unsigned to_uint() const { return 0; }
};

template <int W, bool S> struct ap_range_ref {
    template <class T> ap_range_ref &operator=(const T &) { return *this; }
    operator long long() const { return 0; }
    int to_int() const { return 0; }
};

template <int W, bool S> ap_range_ref<W, S> ap_base<W, S>::range(int, int) const { return ap_range_ref<W, S>(); }
template <int W, bool S> ap_base<1, false> ap_base<W, S>::operator[](int) const { return ap_base<1, false>(); }

template <int W> struct ap_int : ap_base<W, true> {
    ap_int() {}
    template <class T> ap_int(const T &v) : ap_base<W, true>(v) {}
};
template <int W> struct ap_uint : ap_base<W, false> {
    ap_uint() {}
    template <class T> ap_uint(const T &v) : ap_base<W, false>(v) {}
};

#endif
