"""Put first on the book build's PYTHONPATH (scripts/build_book.py): show every warning
raised by a chapter's code (module `__main__`) or by `embedlab`, once per place.

Python hides some warning categories by default (DeprecationWarning,
PendingDeprecationWarning, ImportWarning, ResourceWarning outside `__main__`), so a
deprecation inside embedlab would never reach the page. With this filter it reaches the
cell's stderr, where tests/test_warnings.py finds it in the build's execution cache and
fails (third-party warnings are allowed only when listed there, with a reason).
Progress bars stay off the page (`stderr_output: remove` in _config.yml).
"""

import warnings

warnings.filterwarnings("default", module=r"(__main__|embedlab)(\.|$)")
