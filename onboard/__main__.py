"""`python -m onboard`: the same as the installed `onboard` console script.

The core may not import the Textual UI, so it runs the entry point the
package declares instead of importing `screens` itself.
"""

import sys
from importlib.metadata import entry_points

(script,) = entry_points(group="console_scripts", name="onboard")
sys.exit(script.load()())
