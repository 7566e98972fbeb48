"""The hardware model: the engine contract, boards, schedule steps, the schedule simulator, resource rules."""
