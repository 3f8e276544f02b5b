//! `hb_socket_*`: generic ZeroMQ sockets (being written).
