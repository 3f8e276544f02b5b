"""zmq.eventloop: tornado integration: `zmq.eventloop.future` (sockets
whose calls return futures on the IOLoop), `zmq.eventloop.zmqstream`
(ZMQStream: a socket with callbacks on the IOLoop) and
`zmq.eventloop.ioloop` (tornado's IOLoop, as pyzmq keeps it)."""
