"""Graph IR: typed layers, the networkx graph with NHWC shapes, and its lowering to hardware compute ops."""
