"""Measuring the detectors on labelled sets: readers, evasion transforms, metrics, the eval runner."""
