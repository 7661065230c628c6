"""The respondent's side: language choice, the survey form, thank-you and privacy pages."""

from . import invited, views  # invited: staff surveys' invitation links
from .views import bp

__all__ = ["bp", "invited", "views"]
