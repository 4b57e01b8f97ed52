"""Forms parse and validate input; the services decide. No model is saved from a form."""

from certify.forms.plans import *  # noqa: F403
from certify.forms.standards import *  # noqa: F403
