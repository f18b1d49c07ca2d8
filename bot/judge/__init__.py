"""What records mean for the fleet: diff against history, rules, the severity policy, relevance,
matching to pins, incidents and alerts. Pure: no store, no network, no config loading. Imports core/.
"""
