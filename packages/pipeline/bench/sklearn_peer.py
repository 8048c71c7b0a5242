"""scikit-learn's side of @tessera/pipeline's benchmarks (bench.mjs runs it; Debian python3-sklearn
and python3-onnx).

    python3 sklearn_peer.py throughput OUT ROWS.f32 BATCHES MIN_MS
        Fits the throughput models on breast_cancer (all 569 rows, float32): a random forest (100
        trees, depth 8), gradient boosting (500 trees, depth 6) and StandardScaler -> logistic
        regression. Writes each as an ONNX-ML graph (skl2onnx's converters as transcribed in
        tools/fixtures/gen_pipeline_onnx.py) and as the exporter's JSON, scikit-learn's labels and
        probabilities on the rows of ROWS.f32 (float32, 30 columns, written by bench.mjs), and the
        median time of predict and predict_proba on the first b rows for each b in BATCHES
        (comma-separated), timed as tools/bench's time() does. OUT/throughput.json lists them.

    python3 sklearn_peer.py reproduce OUT DATASETS SEEDS
        For each data set (comma-separated: breast_cancer, wine, digits) its fixed stratified
        train/validation/test split (60/20/20) and, per seed, three pipelines fitted on the training
        rows and exported as JSON: scaler -> random forest, scaler -> PCA -> logistic regression, and
        one-hot -> gradient boosting over the features binned into quantiles on the training rows
        (the bins, as category codes, are that pipeline's input). OUT/reproduce.json lists them with
        scikit-learn's own test accuracy and log-loss.

    python3 sklearn_peer.py fixture
        Writes test/fixtures/reproduce/: breast_cancer's rows and split, and the reproduction's
        scaler -> random forest at seed 0 (exporter JSON) with scikit-learn's validation and test
        probabilities, accuracy and log-loss.
"""

import json
import os
import sys
import time
import warnings

import numpy as np
from sklearn import datasets
from sklearn.decomposition import PCA
from sklearn.ensemble import GradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import KBinsDiscretizer, OneHotEncoder, StandardScaler

HERE = os.path.dirname(os.path.abspath(__file__))
PACKAGE = os.path.dirname(HERE)
ROOT = os.path.dirname(os.path.dirname(PACKAGE))
sys.path.insert(0, os.path.join(PACKAGE, "python"))
sys.path.insert(0, os.path.join(ROOT, "tools", "fixtures"))

from export_sklearn import export  # noqa: E402

F32 = np.float32
# float32's machine epsilon: scikit-learn's log_loss clips float32 probabilities there ("auto").
EPS = float(np.finfo(F32).eps)
LOADERS = {
    "breast_cancer": datasets.load_breast_cancer,
    "wine": datasets.load_wine,
    "digits": datasets.load_digits,
}


def f32_rows(X):
    """float32 rows as JSON numbers, each the shortest decimal that reads back as the same float32."""
    return [[float(str(v)) for v in row] for row in np.asarray(X, dtype=F32)]


def load(name):
    X, y = LOADERS[name](return_X_y=True)
    return X.astype(F32), y.astype(np.int64)


def split(y):
    """The fixed stratified 60/20/20 split: train, validation and test row indices."""
    idx = np.arange(len(y))
    train, rest = train_test_split(idx, test_size=0.4, random_state=0, stratify=y)
    val, test = train_test_split(rest, test_size=0.5, random_state=0, stratify=y[rest])
    return {"train": sorted(train.tolist()), "validation": sorted(val.tolist()), "test": sorted(test.tolist())}


def median_ms(run, min_ms):
    """tools/bench's time(): 2 warm-up calls, then at least 5 repetitions until min_ms have passed
    (at most 200); the median in milliseconds."""
    for _ in range(2):
        run()
    samples = []
    start = time.perf_counter()
    while len(samples) < 5 or ((time.perf_counter() - start) * 1e3 < min_ms and len(samples) < 200):
        t0 = time.perf_counter()
        run()
        samples.append((time.perf_counter() - t0) * 1e3)
    samples.sort()
    return samples[len(samples) // 2]


def write_onnx(name, model, out):
    """The model as skl2onnx writes it (outputs output_label and output_probability, no ZipMap)."""
    import gen_pipeline_onnx as gen

    gen.OUT = out  # Graph.save writes under the module's OUT
    g = gen.Graph()
    x = g.input("X", gen.TensorProto.FLOAT, model.n_features_in_)
    if isinstance(model, Pipeline):
        scaler, lr = model.steps[0][1], model.steps[1][1]
        label, prob, labels = gen.linear_classifier(g, gen.scaler(g, x, scaler), lr)
        gen.classifier_outputs(g, label, prob, labels, zipmap=False)
    elif isinstance(model, GradientBoostingClassifier):
        gen.tree_classifier(g, x, gen.gradient_boosting_classifier_attrs(model))
    else:
        gen.tree_classifier(g, x, gen.forest_classifier_attrs(model))
    g.save(f"{name}.onnx")


def throughput(out, rows_file, batches, min_ms):
    X, y = load("breast_cancer")
    models = {
        "random_forest": RandomForestClassifier(n_estimators=100, max_depth=8, random_state=0),
        "gradient_boosting": GradientBoostingClassifier(n_estimators=500, max_depth=6, random_state=0),
        "linear": Pipeline(
            [("scaler", StandardScaler()), ("logistic", LogisticRegression(max_iter=5000, random_state=0))]
        ),
    }
    rows = np.fromfile(rows_file, dtype=F32).reshape(-1, X.shape[1])
    manifest = {"sklearn_version": __import__("sklearn").__version__, "models": {}}
    for name, model in models.items():
        model.fit(X, y)
        write_onnx(name, model, out)
        export(model, os.path.join(out, f"{name}.json"))
        model.predict(rows).astype(np.int32).tofile(os.path.join(out, f"{name}.label.i32"))
        model.predict_proba(rows).astype(np.float64).tofile(os.path.join(out, f"{name}.proba.f64"))
        timings = {}
        for b in batches:
            part = rows[:b]
            timings[str(b)] = {
                "predict": median_ms(lambda: model.predict(part), min_ms),
                "predict_proba": median_ms(lambda: model.predict_proba(part), min_ms),
            }
        manifest["models"][name] = {"classes": [int(c) for c in model.classes_], "timings": timings}
        print(f"  scikit-learn {name}: fitted, exported, timed", flush=True)
    with open(os.path.join(out, "throughput.json"), "w") as f:
        json.dump(manifest, f)


# --- The reproduction's pipelines -------------------------------------------------------------

PCA_COMPONENTS = {"breast_cancer": 10, "wine": 5, "digits": 20}
BINS = 4


def pipelines(ds, seed):
    """The three pipelines of the reproduction, by name: (estimator, input) with input 'X' (the
    features) or 'bins' (the features binned on the training rows, as category codes)."""
    return {
        "scaler_forest": (
            Pipeline(
                [
                    ("scaler", StandardScaler()),
                    ("forest", RandomForestClassifier(n_estimators=30, max_depth=6, random_state=seed)),
                ]
            ),
            "X",
        ),
        "scaler_pca_logistic": (
            Pipeline(
                [
                    ("scaler", StandardScaler()),
                    ("pca", PCA(n_components=PCA_COMPONENTS[ds], random_state=seed)),
                    ("logistic", LogisticRegression(max_iter=5000, random_state=seed)),
                ]
            ),
            "X",
        ),
        "onehot_boosting": (
            Pipeline(
                [
                    ("onehot", OneHotEncoder(handle_unknown="ignore")),
                    (
                        "boosting",
                        GradientBoostingClassifier(
                            n_estimators=50, max_depth=3, subsample=0.8, random_state=seed
                        ),
                    ),
                ]
            ),
            "bins",
        ),
    }


def metrics(model, X, y):
    p = model.predict_proba(X)
    return {
        "accuracy": float(np.mean(model.predict(X) == y)),
        "log_loss": float(log_loss(y, p.astype(F32), eps=EPS, labels=model.classes_)),
    }


def binned(X, train):
    """Quantile bins fitted on the training rows, as category codes 0..BINS-1 (float32)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # bins of near-constant features collapse, with a warning
        kb = KBinsDiscretizer(n_bins=BINS, encode="ordinal", strategy="quantile").fit(X[train])
    return kb.transform(X).astype(F32)


def reproduce(out, names, seeds):
    os.makedirs(out, exist_ok=True)
    manifest = {"sklearn_version": __import__("sklearn").__version__, "datasets": {}}
    for ds in names:
        X, y = load(ds)
        s = split(y)
        inputs = {"X": X, "bins": binned(X, s["train"])}
        with open(os.path.join(out, f"{ds}.json"), "w") as f:
            json.dump({"X": f32_rows(X), "bins": f32_rows(inputs["bins"]), "y": y.tolist(), "split": s}, f)
        entry = {"classes": int(y.max() + 1), "columns": int(X.shape[1]), "pipelines": {}}
        for seed in seeds:
            for name, (model, inp) in pipelines(ds, seed).items():
                data = inputs[inp]
                model.fit(data[s["train"]], y[s["train"]])
                file = f"{ds}_{name}_{seed}.json"
                export(model, os.path.join(out, file))
                entry["pipelines"].setdefault(name, []).append(
                    {
                        "seed": seed,
                        "file": file,
                        "input": inp,
                        "sklearn": {
                            "validation": metrics(model, data[s["validation"]], y[s["validation"]]),
                            "test": metrics(model, data[s["test"]], y[s["test"]]),
                        },
                    }
                )
        manifest["datasets"][ds] = entry
        print(f"  scikit-learn {ds}: {len(seeds)} seeds x 3 pipelines fitted", flush=True)
    with open(os.path.join(out, "reproduce.json"), "w") as f:
        json.dump(manifest, f)


FIXTURE = os.path.join(PACKAGE, "test", "fixtures", "reproduce")


def fixture():
    """The committed fixture of test/reproduce.test.ts (whose rows bench.mjs samples too): the
    reproduction's scaler -> random forest on breast_cancer at seed 0, with scikit-learn's
    probabilities and metrics on the validation and test rows."""
    os.makedirs(FIXTURE, exist_ok=True)
    X, y = load("breast_cancer")
    s = split(y)
    with open(os.path.join(FIXTURE, "breast_cancer.json"), "w") as f:
        json.dump({"X": f32_rows(X), "y": y.tolist(), "split": s}, f, separators=(",", ":"))
    model, _ = pipelines("breast_cancer", 0)["scaler_forest"]
    model.fit(X[s["train"]], y[s["train"]])
    export(model, os.path.join(FIXTURE, "scaler_forest.json"))
    expected = {}
    for part in ["validation", "test"]:
        rows = X[s[part]]
        expected[part] = {"probabilities": model.predict_proba(rows).tolist(), **metrics(model, rows, y[s[part]])}
    with open(os.path.join(FIXTURE, "expected.json"), "w") as f:
        json.dump(expected, f, separators=(",", ":"))
    print(f"wrote {FIXTURE}: " + ", ".join(f"{k} {v['accuracy']:.4f} / {v['log_loss']:.4f}" for k, v in expected.items()))


def main(argv):
    if argv[:1] == ["throughput"] and len(argv) == 5:
        throughput(argv[1], argv[2], [int(b) for b in argv[3].split(",")], float(argv[4]))
    elif argv[:1] == ["reproduce"] and len(argv) == 4:
        reproduce(argv[1], argv[2].split(","), [int(s) for s in argv[3].split(",")])
    elif argv == ["fixture"]:
        fixture()
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
