"""zmq.decorators: @context() and @socket(TYPE) give a function a fresh
Context or Socket for the length of the call (closed when it returns).

    @context()
    @socket(zmq.PUSH)
    def work(ctx, push): ...

The object is passed by keyword when the decorator is given a name
(`@context('ctx')`, `@socket(zmq.PUB, name='pub')`) and appended to the
positional arguments otherwise. @socket takes its context from a keyword
argument named `context_name` (default "context"), else from the first
Context among the positional arguments (an outer @context), else
Context.instance().
"""

import functools

from .sugar import Context


def _split_name(args, kwargs):
    """The keyword name (first str argument or name=...) and what is left for the factory."""
    if isinstance(kwargs.get("name"), str):
        return kwargs.pop("name"), args, kwargs
    if args and isinstance(args[0], str):
        return args[0], args[1:], kwargs
    return None, args, kwargs


def _inject(func, name, make):
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with make(args, kwargs) as obj:
            if name is None:
                args = args + (obj,)
            elif name in kwargs:
                raise TypeError(f"{func.__name__}() got multiple values for argument '{name}'")
            else:
                kwargs[name] = obj
            return func(*args, **kwargs)

    return wrapper


def context(*args, **kwargs):
    """Decorator: call the function with a new zmq.Context(*args, **kwargs), destroyed after the call."""
    name, cargs, ckwargs = _split_name(args, dict(kwargs))
    return lambda func: _inject(func, name, lambda a, kw: Context(*cargs, **ckwargs))


def socket(*args, **kwargs):
    """Decorator: call the function with a new socket (ctx.socket(*args, **kwargs)), closed after the call."""
    name, sargs, skwargs = _split_name(args, dict(kwargs))
    context_name = skwargs.pop("context_name", "context")

    def find_context(a, kw):
        ctx = kw.get(context_name)
        if isinstance(ctx, Context):
            return ctx
        for x in a:
            if isinstance(x, Context):
                return x
        return Context.instance()

    return lambda func: _inject(func, name, lambda a, kw: find_context(a, kw).socket(*sargs, **skwargs))


__all__ = ["context", "socket"]
