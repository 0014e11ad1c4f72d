"""Scripted workflows: YAML files of inputs and tool steps, runs, batches, saving plans."""
