# -*- coding: utf-8 -*-
"""The canonical MLP of "How to Get Reproducible Results with Keras" (2017).

Learn the sequence 0.0, 0.1, ..., 0.9 -> next value with Dense(10) then Dense(1), MSE loss,
Adam, 100 epochs, one batch of all 9 samples; predict on the training inputs and return the
mean squared error in float64. The worker calls run_once REPEATS times in one process.

Scenario interface (see README, "Adding a scenario"): a file under scenarios/ that runs inside
old environments, so it uses the standard library and numpy only and valid Python 2.7/3.6
syntax. It defines
    NAME        short identifier used in record file names
    REPEATS     how many times the worker calls run_once in one process
    run_once(keras, np) -> float   build, train and evaluate one fresh model
`keras` is the module of the cell's API generation (keras, tf.keras, tf_keras); the seeding
recipe has already been applied when run_once is first called.
"""
NAME = "canonical_mlp"
REPEATS = 10
EPOCHS = 100


def make_data(np):
    """X = 0.0..0.8 as a column, y = 0.1..0.9, both float64 as in the tutorial."""
    sequence = np.array([i / 10.0 for i in range(10)], dtype=np.float64)
    X = sequence[:-1].reshape((len(sequence) - 1, 1))
    y = sequence[1:]
    return X, y


def keras_major(keras):
    return int(str(getattr(keras, "__version__", "2")).split(".")[0])


def define_model(keras):
    """Sequential([Dense(10), Dense(1)]) on a 1-wide input, compiled with MSE and Adam."""
    Sequential = keras.models.Sequential
    Dense = keras.layers.Dense
    model = Sequential()
    if keras_major(keras) >= 3:
        # Keras 3 takes the input shape from an Input object; input_dim is deprecated there.
        model.add(keras.Input(shape=(1,)))
        model.add(Dense(10))
    else:
        model.add(Dense(10, input_dim=1))
    model.add(Dense(1))
    model.compile(loss="mean_squared_error", optimizer="adam")
    return model


def run_once(keras, np):
    X, y = make_data(np)
    model = define_model(keras)
    model.fit(X, y, epochs=EPOCHS, batch_size=len(X), verbose=0)
    yhat = np.asarray(model.predict(X, verbose=0), dtype=np.float64)
    return float(np.mean((y - yhat[:, 0]) ** 2))
