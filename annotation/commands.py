"""`warvoices annotate ...`: the Label Studio loop (server, users, push, pull) plus agreement and
adjudication.

    annotate config                   render annotation/label_config.xml from the schema
    annotate server setup|start|stop|status
    annotate users add|list
    annotate push --batch B --articles ID,.. --annotators ann-a,ann-b
    annotate pull --batch B
    annotate agreement --batch B      (annotation/agreement.py)
    annotate adjudicate --batch B     (annotation/aggregate.py, plus the Label Studio
                                       adjudication project: --pull brings the decisions back)
    annotate prelabel --collection DIR --out DIR   (annotation/prelabel.py: units + baseline predictions)
"""
from __future__ import annotations

import argparse
from pathlib import Path

from warvoices.corpus.errors import WarVoicesError

from . import ls_server

CONNECTION_HELP = (
    "Connection: the server of --data-dir (its URL is in DATA_DIR/warvoices/server.json) unless --url is "
    f"given; the API token comes from ${ls_server.TOKEN_ENV}, else --token-file, else "
    "DATA_DIR/warvoices/admin.token. The token is never printed.")


def _data_dir_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data-dir", type=Path, default=None, metavar="DIR",
                   help=f"Label Studio data directory (default: ${ls_server.DATA_ENV} or ./.ls-data)")


def _connection_args(p: argparse.ArgumentParser) -> None:
    _data_dir_arg(p)
    p.add_argument("--url", default=None, help="server URL (default: the one recorded for --data-dir)")
    p.add_argument("--token-file", type=Path, default=None, metavar="FILE",
                   help=f"file holding the admin API token (default: ${ls_server.TOKEN_ENV}, else "
                        "DATA_DIR/warvoices/admin.token)")


def _store_args(p: argparse.ArgumentParser) -> None:
    from warvoices.corpus.store import DEFAULT_STORE
    from warvoices.corpus.texts import ARCHIVE_ENV

    p.add_argument("--store", type=Path, default=DEFAULT_STORE, metavar="DIR",
                   help=f"corpus store directory (default: {DEFAULT_STORE})")
    p.add_argument("--archive", type=Path, default=None, metavar="DIR",
                   help=f"external text archive (default: ${ARCHIVE_ENV}); needed for archive articles")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")


def _data_dir(args) -> Path:
    return Path(args.data_dir) if args.data_dir else ls_server.default_data_dir()


def _client(args):
    from .ls_client import connect

    return connect(_data_dir(args), url=args.url, token_file=args.token_file)


def _loader(args):
    from warvoices.corpus.texts import TextLoader, resolve_archive

    return TextLoader(resolve_archive(args.archive))


def _user_map(args) -> dict[int, str]:
    from .ls_users import annotator_by_user_id

    return annotator_by_user_id(ls_server.Paths(_data_dir(args).resolve()))


# -- config ------------------------------------------------------------------------------------
def cmd_config(args) -> int:
    from .ls_config import CONFIG_PATH, render_label_config, write_label_config

    if args.check:
        current = CONFIG_PATH.read_text(encoding="utf-8") if CONFIG_PATH.exists() else ""
        if current != render_label_config():
            print(f"{CONFIG_PATH} is out of date with annotation/schema.yaml; run `warvoices annotate config`")
            return 1
        print(f"{CONFIG_PATH} is up to date")
        return 0
    changed = write_label_config()
    print(f"{'wrote' if changed else 'unchanged:'} {CONFIG_PATH}")
    return 0


# -- server ------------------------------------------------------------------------------------
def cmd_server_setup(args) -> int:
    venv = Path(args.venv) if args.venv else ls_server.default_venv()
    print(ls_server.setup_venv(venv, python=args.python))
    return 0


def cmd_server_start(args) -> int:
    data_dir = _data_dir(args)
    port = args.port
    if port is None:
        old = ls_server.ServerState.load(ls_server.Paths(data_dir.resolve()))
        port = old.port if old else ls_server.DEFAULT_PORT
    state = ls_server.start(data_dir, port=port, venv=args.venv, timeout=args.timeout)
    paths = ls_server.Paths(Path(state.data_dir))
    print(f"Label Studio {state.ls_version or ''} is running at {state.url} (pid {state.pid}), data in {state.data_dir}")
    print(f"admin login: {state.admin_email}, password in {paths.password}; API token in {paths.token}")
    print(f"stop it with `warvoices annotate server stop --data-dir {args.data_dir or data_dir}`")
    return 0


def cmd_server_stop(args) -> int:
    print(ls_server.stop(_data_dir(args)))
    return 0


def cmd_server_status(args) -> int:
    up, text = ls_server.status(_data_dir(args))
    print(text)
    return 0 if up else 3


# -- users -------------------------------------------------------------------------------------
def cmd_users_add(args) -> int:
    from .ls_users import add_annotator

    paths = ls_server.Paths(_data_dir(args).resolve())
    with _client(args) as client:
        rec, what = add_annotator(client, paths, args.name, args.email)
    print(f"{args.name}: {what} (Label Studio user {rec['user_id']}, {rec['email']})")
    if rec.get("password"):
        print(f"the password to give to {args.name} is stored in {paths.users} (readable only by you)")
    return 0


def cmd_users_list(args) -> int:
    from .ls_users import load_users

    paths = ls_server.Paths(_data_dir(args).resolve())
    users = load_users(paths)
    if not users:
        print(f"no annotators registered in {paths.users}; add one with `warvoices annotate users add NAME`")
        return 0
    for name, rec in sorted(users.items()):
        creds = "password stored" if rec.get("password") else "existing account"
        print(f"{name:<16} {rec['email']:<32} user {rec['user_id']:<5} {creds}")
    print(f"(credentials file: {paths.users})")
    return 0


# -- push / pull -------------------------------------------------------------------------------
def _article_ids(args) -> list[str] | None:
    ids: list[str] = []
    if args.articles:
        ids += [a.strip() for a in args.articles.split(",") if a.strip()]
    if args.articles_file:
        path = Path(args.articles_file)
        if not path.is_file():
            raise WarVoicesError(f"--articles-file {path} does not exist")
        for line in path.read_text(encoding="utf-8").splitlines():
            line = line.split("#", 1)[0].strip()
            if line:
                ids.append(line)
    return ids or None


def cmd_push(args) -> int:
    from warvoices.corpus.store import Store

    from .ls_push import push_batch
    from .ls_users import add_annotator, load_users

    store = Store(args.store)
    names = [n.strip() for n in (args.annotators or "").split(",") if n.strip()]
    if not names:
        raise WarVoicesError("give the annotators with --annotators ann-a,ann-b (one project each)")
    if len(set(names)) != len(names):
        raise WarVoicesError("an annotator is listed twice in --annotators")
    paths = ls_server.Paths(_data_dir(args).resolve())
    with _client(args) as client:
        client.whoami()  # fail early (server down, wrong token) before reading any text
        users = load_users(paths)
        for n in names:
            if n not in users:
                rec, what = add_annotator(client, paths, n)
                print(f"{n}: {what} (password stored in {paths.users})")
        users = load_users(paths)
        info = {"model": args.model, "version": args.model_version} if args.predictions else None
        if not args.predictions and (args.model or args.model_version):
            raise WarVoicesError("--model/--model-version describe --predictions FILE; give the file too")
        report = push_batch(client, store, _loader(args), args.batch, _article_ids(args),
                            {n: users[n] for n in names}, prediction_info=info,
                            predictions_path=Path(args.predictions) if args.predictions else None,
                            chunk=args.chunk, progress=not args.no_progress)
    print(report.summary())
    print(f"annotators log in at {client.url} and work only in their own project ('wv {args.batch} <name>')")
    return 0


def cmd_pull(args) -> int:
    from warvoices.corpus.store import Store

    from .ls_pull import pull_batch

    with _client(args) as client:
        report = pull_batch(client, Store(args.store), _loader(args), args.batch, _user_map(args),
                            progress=not args.no_progress)
    print(report.summary())
    return 0


# -- agreement / adjudication (helper modules' hooks) --------------------------------------------
def cmd_adjudicate(args) -> int:
    from warvoices.corpus.store import Store

    from . import aggregate
    from .agreement import output_name
    from .ls_adjudication import pull_decisions, push_disputes, read_disputes

    store = Store(args.store)
    use_ls = not args.no_label_studio
    if args.pull and not use_ls:
        raise WarVoicesError("--pull reads from Label Studio; it cannot be combined with --no-label-studio")
    if use_ls and not args.batch:
        raise WarVoicesError("the Label Studio adjudication project belongs to a batch: give --batch NAME "
                             "(or --no-label-studio to only write final.jsonl and the disputes file)")
    if args.pull:
        if args.decisions:
            raise WarVoicesError("give either --pull (decisions from Label Studio) or --decisions FILE, not both")
        with _client(args) as client:
            decisions, counts = pull_decisions(client, store, _loader(args), args.batch, _user_map(args))
        print(f"adjudication project: {counts['submitted']} decision(s), {counts['skipped']} skipped, "
              f"{counts['cancelled']} cancelled")
        from .ls_adjudication import decisions_path

        args.decisions = str(decisions_path(store, args.batch)) if decisions else None
    rc = aggregate.run(args)
    if rc != 0 or args.dry_run or not use_ls:
        return rc
    disputes = Path(args.disputes) if args.disputes else aggregate.DEFAULT_DISPUTES / f"{output_name(args)}.disputes.json"
    entries = read_disputes(disputes)
    if not entries:
        print("no open disputes: nothing for the adjudication project")
        return 0
    with _client(args) as client:
        res = push_disputes(client, store, _loader(args), args.batch, entries)
    print(f"adjudication project {res['project']} at {client.url}: {res['new']} task(s) added, {res['existing']} "
          f"already there. When the adjudicator has submitted them, run "
          f"`warvoices annotate adjudicate --batch {args.batch} --pull`")
    return 0


def register(sub) -> None:
    p = sub.add_parser("annotate", help="Label Studio annotation loop: server, push, pull, agreement, adjudicate",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    asub = p.add_subparsers(dest="annotate_command", metavar="STEP", required=True)

    c = asub.add_parser("config", help="render annotation/label_config.xml from annotation/schema.yaml")
    c.add_argument("--check", action="store_true", help="only compare; exit 1 when the file is out of date")
    c.set_defaults(func=cmd_config)

    # server
    s = asub.add_parser("server", help="set up, start, stop or check the local Label Studio server")
    ssub = s.add_subparsers(dest="server_command", metavar="ACTION", required=True)
    x = ssub.add_parser("setup", help=f"create the server's own virtual environment with label-studio=={ls_server.LS_VERSION}",
                        description="Create the virtual environment Label Studio runs in (default "
                                    f"${ls_server.VENV_ENV} or <repo>/.venv-ls) and install label-studio=="
                                    f"{ls_server.LS_VERSION}; does nothing when it is already there.")
    x.add_argument("--venv", type=Path, default=None, help="where to create it")
    x.add_argument("--python", default="python3.11", help="interpreter for the venv (default: %(default)s)")
    x.set_defaults(func=cmd_server_setup)
    x = ssub.add_parser("start", help="start Label Studio on 127.0.0.1 in the background",
                        description="Start Label Studio bound to 127.0.0.1 with the given data directory. The first "
                                    "start creates the database (about 30 s), an admin user "
                                    f"({ls_server.ADMIN_EMAIL}) and an API token, without questions; password and "
                                    "token are written to files inside DATA_DIR/warvoices/ (mode 0600).")
    _data_dir_arg(x)
    x.add_argument("--port", type=int, default=None,
                   help=f"port (default: the previous one for this data directory, else {ls_server.DEFAULT_PORT}; "
                        "0 = any free port). A busy port is an error, never silently replaced")
    x.add_argument("--venv", type=Path, default=None, help=f"the server's venv (default: ${ls_server.VENV_ENV} or <repo>/.venv-ls)")
    x.add_argument("--timeout", type=float, default=180.0, help="seconds to wait for it to answer (default: %(default)s)")
    x.set_defaults(func=cmd_server_start)
    x = ssub.add_parser("stop", help="stop the server of a data directory (SIGTERM, then SIGKILL)")
    _data_dir_arg(x)
    x.set_defaults(func=cmd_server_stop)
    x = ssub.add_parser("status", help="is the server running? (exit 0 yes, 3 no)")
    _data_dir_arg(x)
    x.set_defaults(func=cmd_server_status)

    # users
    u = asub.add_parser("users", help="annotator accounts on the Label Studio server")
    usub = u.add_subparsers(dest="users_command", metavar="ACTION", required=True)
    x = usub.add_parser("add", help="create the Label Studio user of an annotator (or map an existing account)",
                        description="Create a Label Studio user for annotator NAME (e-mail NAME@warvoices.local unless "
                                    "--email) through the organisation's invite link, with a generated password stored "
                                    "in DATA_DIR/warvoices/users.json (mode 0600). An e-mail that already has an "
                                    "account is only mapped. " + CONNECTION_HELP)
    x.add_argument("name", help="annotator id used in the corpus, e.g. ann-a")
    x.add_argument("--email", default=None, help="the Label Studio login (default: NAME@warvoices.local)")
    _connection_args(x)
    x.set_defaults(func=cmd_users_add)
    x = usub.add_parser("list", help="list registered annotators and their Label Studio users")
    _data_dir_arg(x)
    x.set_defaults(func=cmd_users_list)

    # push
    x = asub.add_parser("push", help="send a batch of whole articles to Label Studio, one project per annotator",
                        formatter_class=argparse.RawDescriptionHelpFormatter,
                        description="Create (or reuse) one Label Studio project per annotator for batch NAME and "
                                    "import one task per sentence of the given articles (sentence, the sentences "
                                    "before and after it, title, publisher, date). Annotators missing from "
                                    "users.json are created. Rerunning the same command adds nothing; an "
                                    "interrupted push resumes. The manifest STORE/batches/NAME.json records what went "
                                    "where.\n\n" + CONNECTION_HELP)
    x.add_argument("--batch", required=True, metavar="NAME", help="batch name (1-24 characters: letters, digits, . _ -)")
    x.add_argument("--articles", default=None, metavar="ID,ID", help="comma-separated article ids")
    x.add_argument("--articles-file", default=None, metavar="FILE", help="file with one article id per line (# comments)")
    x.add_argument("--annotators", required=True, metavar="A,B", help="annotator ids, e.g. ann-a,ann-b")
    x.add_argument("--predictions", default=None, metavar="FILE",
                   help="pre-annotations shown to annotators: JSON Lines {sentence_id, labels, source_spans?, score?, "
                        "model?, version?}, e.g. from `warvoices baselines` pre-annotation")
    x.add_argument("--model", default=None, help="name of the model that made --predictions (default: the file's `model`; recorded as provenance)")
    x.add_argument("--model-version", default=None, help="its version (default: the file's `version`; recorded as provenance)")
    x.add_argument("--chunk", type=int, default=500, help="tasks per import request (default: %(default)s)")
    _store_args(x)
    _connection_args(x)
    x.set_defaults(func=cmd_push)

    # pull
    x = asub.add_parser("pull", help="export a batch's annotations into annotations.jsonl (validated first)",
                        formatter_class=argparse.RawDescriptionHelpFormatter,
                        description="Export every annotator project of batch NAME, validate everything (unknown "
                                    "labels, missing required choices, spans outside or not matching their sentence, "
                                    "tasks not in the corpus, duplicate annotations; error ids LS000-LS011, see "
                                    "annotation/ls_pull.py) and only then add the records to annotations.jsonl. "
                                    "Skipped and cancelled tasks are recorded. Pulling twice adds nothing twice.\n\n"
                                    + CONNECTION_HELP)
    x.add_argument("--batch", required=True, metavar="NAME")
    _store_args(x)
    _connection_args(x)
    x.set_defaults(func=cmd_pull)

    # agreement and adjudication: helper modules' own arguments and run()
    from . import aggregate, agreement

    x = asub.add_parser("agreement", help="Krippendorff's alpha, confusion tables, span F1 of a batch")
    agreement.add_arguments(x)
    x.set_defaults(func=agreement.run)

    x = asub.add_parser("adjudicate", help=aggregate.HELP)
    aggregate.add_arguments(x)
    x.description = (x.description or "") + (
        "\n\nLabel Studio: with --batch, the open disputes then go to the batch's adjudication project "
        "('wv NAME adjudication'), each annotator's answer shown as a prediction to pick from. When the "
        "adjudicator has submitted, `--pull` reads the decisions back (validated like any export) and writes "
        "them as final labels (method adjudicated). --no-label-studio keeps everything local.\n\n" + CONNECTION_HELP)
    x.add_argument("--pull", action="store_true", help="first read the adjudicator's decisions from Label Studio")
    x.add_argument("--no-label-studio", action="store_true",
                   help="do not touch Label Studio (only final.jsonl and the disputes file)")
    x.add_argument("--no-progress", action="store_true", help="no progress bars")
    _connection_args(x)
    if not any(a.dest == "archive" for a in x._actions):
        x.add_argument("--archive", type=Path, default=None, metavar="DIR",
                       help="external text archive (default: $WARVOICES_ARCHIVE)")
    x.set_defaults(func=cmd_adjudicate)

    # pre-annotation of an external collection (annotation/prelabel.py)
    from . import prelabel

    x = asub.add_parser("prelabel", help="segment and pre-annotate an external collection (JSON Lines or Parquet shards)",
                        description=prelabel.__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    prelabel.add_arguments(x)
    x.set_defaults(func=prelabel.run)

