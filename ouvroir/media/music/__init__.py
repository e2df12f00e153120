"""Music: scores read through music21, written as text event streams, rendered back to MIDI, MusicXML and sound.

* :mod:`.events` — music as quantized note events on a grid of bars (:class:`~.events.Piece`);
* :mod:`.score` — music21 scores to pieces (quantization) and back (notation);
* :mod:`.encoding` — the event text a model learns, and the interval text the copy audit searches;
* :mod:`.read` — music21 parsing from a file's bytes (MIDI, MusicXML, ABC, Humdrum);
* :mod:`.render` — MIDI and MusicXML bytes; :mod:`.synth` — a WAV with a built-in synthesizer;
* :mod:`.features` — music measures for the uniformization audit.
"""
