"""zmq.log: logging over PUB sockets (zmq.log.handlers.PUBHandler)."""
