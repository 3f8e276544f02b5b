"""`import zmq` resolves to hypobus.zmq (peer-suite.sh puts this folder first
on PYTHONPATH to run pyzmq's own tests on the binding).

`zmq` is hypobus.zmq itself, and `zmq.X.Y` is hypobus.zmq.X.Y (the same
module objects, never a second copy): the API lives in hypobus.zmq."""

import importlib
import importlib.abc
import importlib.util
import sys

_REAL = "hypobus.zmq"


class _Alias(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, name, path=None, target=None):
        if name.startswith("zmq."):
            real = _REAL + name[3:]
            if importlib.util.find_spec(real) is None:
                return None
            return importlib.util.spec_from_loader(name, self)
        return None

    def create_module(self, spec):
        module = importlib.import_module(_REAL + spec.name[3:])
        spec.loader_state = module.__spec__
        return module

    def get_code(self, fullname):  # `python -m zmq.X` runs hypobus.zmq.X
        real = importlib.util.find_spec(_REAL + fullname[3:])
        return real.loader.get_code(real.name)

    def exec_module(self, module):
        module.__spec__ = module.__spec__.loader_state  # the import system set ours: put the real one back


sys.meta_path.insert(0, _Alias())
sys.modules[__name__] = importlib.import_module(_REAL)
