"""Put first on the book build's PYTHONPATH (scripts/build_book.py): show every warning
raised by a chapter's code (module `__main__`) or by `embedlab`, once per place.

Python hides some warning categories by default (DeprecationWarning,
PendingDeprecationWarning, ImportWarning, ResourceWarning outside `__main__`), so a
deprecation inside embedlab would never reach the page. With this filter it reaches the
cell's stderr, where tests/test_warnings.py finds it in the build's execution cache and
fails (third-party warnings are allowed only when listed there, with a reason).
Progress bars stay off the page (`stderr_output: remove` in _config.yml).

It also spares each kernel Python's teardown at exit (`_exit_without_teardown`).
"""

import atexit
import os
import sys
import warnings

warnings.filterwarnings("default", module=r"(__main__|embedlab)(\.|$)")


def _exit_without_teardown() -> None:
    """In a kernel, end the process once every other exit handler has run, without
    Python's module teardown. With torch (and torch._dynamo, which the first torch.optim
    step imports) loaded, a kernel's graceful shutdown took 0.6-1.0 s instead of 0.2 s
    here, paid by every chapter of the build for nothing (its outputs are all sent by
    then); the cold book went from 104 s to 83 s on one machine. Any other process on
    this path (the Sphinx build, a script) exits as usual, with its own status."""
    kernelapp = sys.modules.get("ipykernel.kernelapp")
    if kernelapp is not None and kernelapp.IPKernelApp.initialized():
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)


atexit.register(_exit_without_teardown)  # registered first, so it runs last
