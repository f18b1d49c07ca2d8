"""trackbot watching itself: metrics, the heartbeat, logs. Imports core/ and store/.
"""
