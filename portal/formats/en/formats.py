"""English dates as the clinic's readers (UK) write them: day first, the month in letters, so
"12 Jan 2026" can never be read as 1 December. Django's own "en" formats are US ("Jan. 12, 2026",
"01/12/2026"); other languages keep Django's formats for their locale."""

DATE_FORMAT = "j M Y"
DATETIME_FORMAT = "j M Y, H:i"
SHORT_DATE_FORMAT = "j M Y"
SHORT_DATETIME_FORMAT = "j M Y, H:i"
MONTH_DAY_FORMAT = "j F"
YEAR_MONTH_FORMAT = "F Y"
TIME_FORMAT = "H:i"
FIRST_DAY_OF_WEEK = 1  # Monday
