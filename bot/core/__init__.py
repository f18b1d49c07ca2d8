"""Values at the bottom of the house: the pipeline's data (model), enums, versions and their sort keys,
errors, the clock. Imports nothing of bot outside core/.
"""
