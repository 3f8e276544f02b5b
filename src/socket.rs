//! Generic ZeroMQ sockets (being written).
