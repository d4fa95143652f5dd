-- Per captured day and region (the publishing organization's country bucket): the day's downloads
-- and the cumulative and trailing-30-day downloads of mainline models (each model carried forward
-- over days it is missing), with the region's share of the day's total of each.
{{ downloads_by('region', 'daily') }}
