"""zmq.eventloop: tornado integration. `zmq.eventloop.future` offers
sockets whose calls return futures on tornado's IOLoop (tornado >= 5
runs on asyncio: they are zmq.asyncio's futures). pyzmq's ZMQStream
(zmq.eventloop.zmqstream) and its deprecated ioloop module are not offered."""
