"""zmq.utils: jsonapi, z85, monitor, strtypes, garbage, interop."""
