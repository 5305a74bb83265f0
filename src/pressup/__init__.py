"""pressup: coach and measure the prone press-up (McKenzie extension in lying).

Data flows one way through the sub-packages::

    pose  ->  kinematics  ->  engine (protocol spec)  ->  analysis  ->  report / evaluation

* :mod:`pressup.pose` turns a video (or a saved track) into one :class:`~pressup.pose.PoseTrack`.
* :mod:`pressup.kinematics` turns landmarks into angles in degrees (view-corrected, smoothed).
* :mod:`pressup.protocol` holds the dose and every threshold, in one TOML file.
* :mod:`pressup.engine` is the pure streaming state machine ``step(state, frame)``.
* :mod:`pressup.analysis` runs the engine over a whole track and builds the result contract.
* :mod:`pressup.report` writes the HTML report, CSV and the overlay video.
"""

__version__ = "0.1.0"
