"""Reference data: wellbeing services counties, collaboration areas, municipalities."""
