// hls::stream declarations for the rule checker's parse (tests/hls_rules.py). Not an implementation.
#ifndef HWGEN_RULES_HLS_STREAM_H
#define HWGEN_RULES_HLS_STREAM_H
namespace hls {
template <class T> struct stream {
    stream() {}
    stream(const char *) {}
    T read() { return T(); }
    void write(const T &) {}
    bool empty() const { return true; }
    int size() const { return 0; }
};
}  // namespace hls
#endif
