"""The original hypotenuse lab's programs as the students wrote them, byte
for byte (`import zmq`): with pyzmq they are the classic peers of the tests
(tests/classic), and hypobus.examples.{calc_server, client, op_server,
broker_primary, broker_backup} run them unchanged on hypobus.zmq."""
