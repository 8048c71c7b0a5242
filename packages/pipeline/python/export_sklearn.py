"""Export a fitted scikit-learn estimator or Pipeline to JSON for @tessera/pipeline.

Needs only numpy and scikit-learn. Copy this file next to your code (it ships in the package's
``python/`` folder) and, in one line:

    from export_sklearn import export; export(fitted_model, "model.json")

or from a shell, for a model saved with pickle or joblib:

    python3 export_sklearn.py model.pkl model.json

Then in JavaScript: ``parseSklearn(await readFile('model.json', 'utf8'))``.

The file holds the fitted attributes under scikit-learn's own names (``tree_`` arrays, ``coef_``,
``mean_``, ``scale_``, ``components_``, ``categories_``, ...) and a format version:

    {"format": "tessera-sklearn", "version": 1, "sklearn_version": "1.2.1",
     "n_features_in_": 4, "estimator": {"class": "Pipeline", "steps": [...]}}

plus "feature_names_in_" (the column names) when the model was fitted on a DataFrame.

Every estimator is an object with its class name under "class". JSON has no NaN or infinities:
such numbers are written as the strings "nan", "inf" and "-inf". Boolean class labels are
written as 0 and 1.

Supported: Pipeline, ColumnTransformer (fitted column indices; 'passthrough' and 'drop'),
StandardScaler, MinMaxScaler, RobustScaler, MaxAbsScaler, Normalizer, SimpleImputer, Binarizer,
OneHotEncoder, PCA, LinearRegression, Ridge, Lasso, ElasticNet, LogisticRegression, LinearSVC,
LinearSVR, SVC, SVR, DecisionTreeClassifier/Regressor, RandomForestClassifier/Regressor,
ExtraTreesClassifier/Regressor, GradientBoostingClassifier/Regressor (with a constant initial
estimate: the default prior or mean, or 'zero'), MLPClassifier, MLPRegressor. Anything else is
refused with its class name.
"""
import json
import math
import sys

import numpy as np
from sklearn.utils.validation import check_is_fitted

FORMAT = "tessera-sklearn"
VERSION = 1


def _plain(value):
    """numpy values and arrays as JSON-ready Python values; non-finite floats as strings."""
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        v = float(value)
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return v
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, np.str_):
        return str(value)
    raise TypeError(f"export_sklearn: cannot write a value of type {type(value).__name__}")


def _classes(est):
    classes = np.asarray(est.classes_)
    if classes.dtype == bool:
        classes = classes.astype(int)
    if classes.dtype == object and not all(isinstance(c, str) for c in classes):
        raise TypeError(f"export_sklearn: {type(est).__name__}.classes_ must be all numbers or all strings")
    return _plain(classes)


def _tree(tree):
    t = tree.tree_
    out = {
        "children_left": _plain(t.children_left),
        "children_right": _plain(t.children_right),
        "feature": _plain(t.feature),
        "threshold": _plain(t.threshold),
        "value": _plain(t.value),
    }
    if hasattr(t, "missing_go_to_left"):  # scikit-learn >= 1.3: trees that learned where NaN goes
        out["missing_go_to_left"] = _plain(t.missing_go_to_left)
    return out


def _single_tree(est):
    out = {"n_outputs_": int(est.n_outputs_), "tree_": _tree(est)}
    if hasattr(est, "classes_"):
        out["classes_"] = _classes(est)
    return out


def _forest(est):
    out = {"n_outputs_": int(est.n_outputs_), "estimators_": [{"tree_": _tree(t)} for t in est.estimators_]}
    if hasattr(est, "classes_"):
        out["classes_"] = _classes(est)
    return out


def _gradient_boosting(est):
    init = est.init_
    if not (isinstance(init, str) and init == "zero") and type(init).__name__ not in ("DummyClassifier", "DummyRegressor"):
        raise TypeError(
            f"export_sklearn: {type(est).__name__} with init={type(init).__name__} is not supported: "
            "its initial estimate depends on the row (use the default init or 'zero')"
        )
    # The initial raw prediction is a constant for the dummy estimators and 'zero'.
    init_raw = est._raw_predict_init(np.zeros((1, est.n_features_in_)))[0]
    out = {
        "loss": est.loss,
        "learning_rate": float(est.learning_rate),
        "init_raw": _plain(init_raw),
        "estimators_": [[{"tree_": _tree(t)} for t in stage] for stage in est.estimators_],
    }
    if hasattr(est, "classes_"):
        out["classes_"] = _classes(est)
    return out


def _linear(est):
    return {"coef_": _plain(est.coef_), "intercept_": _plain(est.intercept_)}


def _linear_classifier(est):
    return {"classes_": _classes(est), **_linear(est)}


def _logistic(est):
    ovr = est.multi_class in ("ovr", "warn") or (
        est.multi_class == "auto" and (len(est.classes_) <= 2 or est.solver in ("liblinear", "newton-cholesky"))
    )
    return {**_linear_classifier(est), "multi_class": "ovr" if ovr else "multinomial"}


def _kernel(est):
    if not isinstance(est.kernel, str) or est.kernel == "precomputed":
        raise TypeError(f"export_sklearn: {type(est).__name__} with kernel={est.kernel!r} is not supported")
    return {
        "kernel": est.kernel,
        "gamma": float(est._gamma),
        "coef0": float(est.coef0),
        "degree": int(est.degree),
        "support_vectors_": _plain(est.support_vectors_),
        "dual_coef_": _plain(est.dual_coef_),
        "intercept_": _plain(est.intercept_),
    }


def _svc(est):
    out = {
        "classes_": _classes(est),
        **_kernel(est),
        "n_support_": _plain(est.n_support_),
        "break_ties": bool(est.break_ties),
        "decision_function_shape": est.decision_function_shape,
    }
    if est.probability:  # libsvm's Platt scaling, one (A, B) per pair of classes
        out["probA_"] = _plain(est.probA_)
        out["probB_"] = _plain(est.probB_)
    return out


def _mlp(est):
    out = {
        "activation": est.activation,
        "out_activation_": est.out_activation_,
        "coefs_": [_plain(w) for w in est.coefs_],
        "intercepts_": [_plain(b) for b in est.intercepts_],
    }
    if hasattr(est, "classes_"):
        out["classes_"] = _classes(est)
    return out


def _pipeline(est):
    steps = []
    for name, step in est.steps:
        passthrough = step is None or (isinstance(step, str) and step == "passthrough")
        steps.append({"name": name, "estimator": "passthrough" if passthrough else _estimator(step)})
    return {"steps": steps}


def _column_indices(ct, name, columns):
    """The input column indices a fitted ColumnTransformer gives one transformer."""
    resolved = getattr(ct, "_transformer_to_input_indices", {})
    if name in resolved:
        return [int(i) for i in resolved[name]]
    n = ct.n_features_in_
    if isinstance(columns, slice) or callable(columns):
        raise TypeError(f"export_sklearn: ColumnTransformer columns {columns!r} need scikit-learn >= 1.2")
    cols = np.atleast_1d(np.asarray(columns))
    if cols.dtype == bool:
        return [int(i) for i in np.flatnonzero(cols)]
    if cols.dtype.kind in "iu":
        return [int(i) % n for i in cols]
    names = list(getattr(ct, "feature_names_in_", []))
    return [names.index(c) for c in cols]


def _column_transformer(est):
    transformers = []
    for name, trans, columns in est.transformers_:
        if isinstance(trans, str):
            if trans not in ("passthrough", "drop"):
                raise TypeError(f"export_sklearn: ColumnTransformer transformer {trans!r} is not supported")
            spec = trans
        else:
            spec = _estimator(trans)
        weight = (est.transformer_weights or {}).get(name)
        transformers.append(
            {
                "name": name,
                "estimator": spec,
                "columns": _column_indices(est, name, columns),
                "weight": None if weight is None else float(weight),
            }
        )
    return {"n_features_in_": int(est.n_features_in_), "transformers": transformers}


def _attrs(*names):
    return lambda est: {n: _plain(getattr(est, n)) for n in names}


def _onehot(est):
    drop = getattr(est, "drop_idx_", None)
    return {
        "categories_": [_plain(c) for c in est.categories_],
        "drop_idx_": None if drop is None else [None if d is None else int(d) for d in drop],
        "handle_unknown": est.handle_unknown,
        "infrequent_enabled": bool(getattr(est, "_infrequent_enabled", False)),
    }


def _imputer(est):
    missing = est.missing_values
    if not isinstance(missing, (int, float, np.integer, np.floating)):
        raise TypeError(f"export_sklearn: SimpleImputer with missing_values={missing!r} is not supported")
    return {
        "missing_values": _plain(missing),
        "strategy": est.strategy,
        "statistics_": _plain(np.asarray(est.statistics_, dtype=float)),
        "keep_empty_features": bool(getattr(est, "keep_empty_features", False)),
        "add_indicator": bool(est.add_indicator),
    }


EXPORTERS = {
    "Pipeline": _pipeline,
    "ColumnTransformer": _column_transformer,
    "StandardScaler": _attrs("with_mean", "with_std", "mean_", "scale_"),
    "MinMaxScaler": _attrs("min_", "scale_", "clip"),
    "RobustScaler": _attrs("center_", "scale_"),
    "MaxAbsScaler": _attrs("scale_"),
    "Normalizer": _attrs("norm"),
    "SimpleImputer": _imputer,
    "Binarizer": _attrs("threshold"),
    "OneHotEncoder": _onehot,
    "PCA": _attrs("mean_", "components_", "whiten", "explained_variance_"),
    "LinearRegression": _linear,
    "Ridge": _linear,
    "Lasso": _linear,
    "ElasticNet": _linear,
    "LinearSVR": _linear,
    "LogisticRegression": _logistic,
    "LinearSVC": _linear_classifier,
    "SVC": _svc,
    "SVR": _kernel,
    "DecisionTreeClassifier": _single_tree,
    "DecisionTreeRegressor": _single_tree,
    "RandomForestClassifier": _forest,
    "RandomForestRegressor": _forest,
    "ExtraTreesClassifier": _forest,
    "ExtraTreesRegressor": _forest,
    "GradientBoostingClassifier": _gradient_boosting,
    "GradientBoostingRegressor": _gradient_boosting,
    "MLPClassifier": _mlp,
    "MLPRegressor": _mlp,
}


def _estimator(est):
    name = type(est).__name__
    exporter = EXPORTERS.get(name)
    if exporter is None:
        raise TypeError(f"export_sklearn: {name} is not supported; supported: {', '.join(EXPORTERS)}")
    if name != "Pipeline":
        check_is_fitted(est)
    return {"class": name, **exporter(est)}


def to_dict(estimator):
    """The document `export` writes, as a dict."""
    import sklearn

    n_features = getattr(estimator, "n_features_in_", None)
    if n_features is None:
        raise TypeError(f"export_sklearn: {type(estimator).__name__} has no n_features_in_; is it fitted?")
    out = {
        "format": FORMAT,
        "version": VERSION,
        "sklearn_version": sklearn.__version__,
        "n_features_in_": int(n_features),
        "estimator": _estimator(estimator),
    }
    names = getattr(estimator, "feature_names_in_", None)  # set when fitted on a DataFrame
    if names is not None:
        out["feature_names_in_"] = [str(n) for n in names]
    return out


def export(estimator, path):
    """Writes a fitted estimator or Pipeline to `path` as JSON for @tessera/pipeline."""
    with open(path, "w", encoding="utf-8") as f:
        json.dump(to_dict(estimator), f, allow_nan=False, separators=(",", ":"))


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: python3 export_sklearn.py MODEL.pkl|MODEL.joblib OUT.json")
    if sys.argv[1].endswith(".joblib"):
        import joblib

        model = joblib.load(sys.argv[1])
    else:
        import pickle

        with open(sys.argv[1], "rb") as f:
            model = pickle.load(f)
    export(model, sys.argv[2])
