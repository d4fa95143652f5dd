-- Per captured day and model family: the day's downloads and the cumulative and trailing-30-day
-- downloads of mainline models (each model carried forward over days it is missing), with the
-- family's share of the day's total of each.
{{ downloads_by('family', 'daily') }}
