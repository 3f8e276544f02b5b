//! A proxy on a library thread (being written).
