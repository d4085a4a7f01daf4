"""`warvoices annotate ...`: the Label Studio loop (server, users, push, pull) plus agreement and
adjudication.

    annotate config                   render annotation/label_config.xml from the schema
    annotate server setup|start|stop|status
    annotate users add|list
    annotate push --batch B --articles ID ID.. --annotators ann-a,ann-b
    annotate tasks|submit --batch B --annotator NAME   annotators working through the API
    annotate pull --batch B [--accept-edits]
    annotate agreement --batch B      (annotation/agreement.py)
    annotate adjudicate --batch B     (annotation/aggregate.py, plus the Label Studio
                                       adjudication project: --pull brings the decisions back)
    annotate prelabel --collection DIR --out DIR   (annotation/prelabel.py: units + baseline predictions)
    annotate migrate-ids              (old annotation ids ls:P:A -> ls:SERVER:P:A)

--articles takes ids separated by spaces or commas, in every command. The archive of texts is
--archive, else $WARVOICES_ARCHIVE, else ../shared/archive when present; commands that read texts
say which one they used. Printed next steps repeat the options given (data directory, URL, store,
archive), so they run as printed.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from warvoices.corpus.errors import WarVoicesError

from . import ls_server
from warvoices.corpus.cli_args import add_articles_argument

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
                   help=f"external text archive (default: ${ARCHIVE_ENV}, else ../shared/archive when present); "
                        "needed for archive articles")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")


def _data_dir(args) -> Path:
    return Path(args.data_dir) if args.data_dir else ls_server.default_data_dir()


def _client(args):
    from .ls_client import connect

    return connect(_data_dir(args), url=args.url, token_file=args.token_file)


def _loader(args):
    from warvoices.corpus.texts import TextLoader, archive_source, resolve_archive

    archive = resolve_archive(args.archive)
    print(f"archive: {archive or '-'} ({archive_source(args.archive)})")
    return TextLoader(archive)


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
    from warvoices.corpus.cli_args import next_command

    print(f"server identity: {(ls_server.read_identity(paths) or {}).get('server_id', '-')} (names pulled annotations)")
    print("stop it with `" + next_command(args, "annotate", "server", "stop", store=False, archive=False) + "`")
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
    ids: list[str] = list(args.articles or [])
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
    if not args.predictions and (args.model or args.model_version):
        raise WarVoicesError("--model/--model-version describe --predictions FILE; give the file too")
    with _client(args) as client:
        client.whoami()  # fail early (server down, wrong token) before reading any text

        def accounts() -> dict[str, dict]:
            # called by push_batch once articles, texts and predictions are checked
            users = load_users(paths)
            for n in names:
                if n not in users:
                    rec, what = add_annotator(client, paths, n)
                    print(f"{n}: {what} (password stored in {paths.users})")
            users = load_users(paths)
            return {n: users[n] for n in names}

        info = {"model": args.model, "version": args.model_version} if args.predictions else None
        report = push_batch(client, store, _loader(args), args.batch, _article_ids(args),
                            accounts, prediction_info=info,
                            predictions_path=Path(args.predictions) if args.predictions else None,
                            chunk=args.chunk, progress=not args.no_progress)
    from warvoices.corpus.cli_args import next_command

    print(report.summary())
    print("each annotator logs in and works only in their own project (the one-server layout: they can see the "
          "others' projects; see README, Annotation, blindness):")
    for who, p in report.projects.items():
        print(f"  {who:<12} {client.url}/projects/{p['project']}/data")
    print("next, when they have submitted: " + next_command(args, "annotate", "pull", "--batch", args.batch))
    return 0


SELECT_DESCRIPTION = """\
Choose the units of a new batch and write the choice to STORE/selections/NAME.json (ids only),
with the seed and every option, so it can be repeated and audited. Then push it with
`warvoices annotate push --batch NAME --annotators ...` (no --articles).

- Passages, not whole texts: runs of whole paragraphs of about {lo}-{hi} units; a longer
  paragraph is cut into even runs. No passage holds a unit already labelled or in a batch.
- Strata: units are shared by publisher type (--mix; default {un} UN addresses, the rest equally
  among the other types with units left), then over years in proportion to the pool; UN units
  go one passage per state in turn, so as many states as possible appear.
- UN addresses: a share --war-share (default {war}) comes from passages that mention the war
  (the rule is annotation/select.py WAR_MENTION_RE: parties, capitals, leaders, contested
  places, the grain corridor), the rest from other passages, so `about_war = no` is present.
- Order within a stratum: articles take turns; --strategy random (seeded) or, for train only,
  --strategy uncertainty with --predictions FILE (a pre-annotation file; most uncertain first).
  Validation and test are always random within strata.
- The batch interleaves publisher types, so every annotator sees all of them."""


def cmd_select(args) -> int:
    from warvoices.corpus.store import Store

    from warvoices.corpus.cli_args import next_command
    from .select import parse_mix, select, selection_path, write_selection

    try:
        lo, hi = (int(x) for x in args.passage.split("-"))
    except ValueError:
        raise WarVoicesError(f"--passage {args.passage!r}: give MIN-MAX, e.g. 8-20") from None
    store = Store(args.store)
    sel = select(store, _loader(args), args.batch, args.split, args.units, seed=args.seed, strategy=args.strategy,
                 predictions=Path(args.predictions) if args.predictions else None, mix=parse_mix(args.mix),
                 war_share=args.war_share, min_len=lo, max_len=hi, progress=not args.no_progress)
    print(sel.summary())
    if args.dry_run:
        print("dry run: nothing written")
        return 0
    path = write_selection(store, sel)
    print(f"wrote {path}")
    print("next: " + next_command(args, "annotate", "push", "--batch", args.batch, "--annotators", "ann-a,ann-b",
                                  connection=False))
    return 0


def cmd_pull(args) -> int:
    from warvoices.corpus.store import Store

    from warvoices.corpus.cli_args import next_command
    from .ls_pull import pull_batch

    accept = True if args.accept_edits else set(args.accept_edit or []) or False
    with _client(args) as client:
        report = pull_batch(client, Store(args.store), _loader(args), args.batch, _user_map(args),
                            progress=not args.no_progress, accept_edits=accept)
    print(report.summary())
    if report.added or report.already:
        print("next: see agreement with `" + next_command(args, "annotate", "agreement", "--batch", args.batch,
                                                           connection=False) + "`,")
        print("      settle the final labels with `" + next_command(args, "annotate", "adjudicate", "--batch",
                                                                     args.batch) + "`,")
        print("      and refresh the tables rendered from the store with `" + next_command(args, "generate", store=False,
                                                                                        connection=False, archive=False)
              + "` (the test suite checks them)")
    return 0


# -- annotators working through the API ---------------------------------------------------------
def _annotator_client(args, name: str):
    from .ls_users import annotator_client

    paths = ls_server.Paths(_data_dir(args).resolve())
    url = args.url
    if url is None:
        state = ls_server.ServerState.load(paths)
        if state is None:
            raise WarVoicesError(f"no server is recorded for {_data_dir(args)}; start it with `warvoices annotate "
                                 "server start` or pass --url")
        url = state.url
    return annotator_client(paths, url, name)


def cmd_tasks(args) -> int:
    from warvoices.corpus.store import Store

    from .ls_answers import write_tasks

    client = _annotator_client(args, args.annotator) if args.adjudication else None
    try:
        n = write_tasks(Store(args.store), _loader(args), args.batch, args.annotator, Path(args.out),
                        adjudication=args.adjudication, client=client)
    finally:
        if client is not None:
            client.close()
    print(f"wrote {n} unit(s) of {args.annotator}'s {'adjudication ' if args.adjudication else ''}tasks in batch "
          f"{args.batch} to {args.out} (sentence texts: keep this file outside the repository)")
    return 0


def cmd_submit(args) -> int:
    from warvoices.corpus.store import Store

    from warvoices.corpus.cli_args import next_command
    from .ls_answers import submit_answers

    with _annotator_client(args, args.annotator) as client:
        report = submit_answers(client, Store(args.store), _loader(args), args.batch, args.annotator,
                                Path(args.answers), adjudication=args.adjudication)
    print(report.summary())
    if args.adjudication:
        print("next: " + next_command(args, "annotate", "adjudicate", "--batch", args.batch, "--pull"))
    else:
        print("next, when every annotator has submitted: " + next_command(args, "annotate", "pull", "--batch",
                                                                          args.batch))
    return 0


def cmd_migrate_ids(args) -> int:
    from warvoices.corpus.store import Store

    from .ls_migrate import migrate_ids
    from .ls_server import ensure_identity, read_identity

    server_id = None
    if args.data_dir:
        paths = ls_server.Paths(Path(args.data_dir).resolve())
        if not paths.own.is_dir():
            raise WarVoicesError(f"{args.data_dir} is not a Label Studio data directory WarVoices knows "
                                 f"({paths.own} is missing)")
        server_id = (read_identity(paths) or ensure_identity(paths))["server_id"]
    from warvoices.corpus.store import DEFAULT_STORE

    m = migrate_ids(Store(args.store or DEFAULT_STORE), server_id, dry_run=args.dry_run)
    print(m.summary())
    if args.dry_run and m.renamed:
        print("dry run: nothing written")
    return 0


# -- agreement / adjudication --------------------------------------------------------------------
AGREEMENT_DESCRIPTION = """\
Compute the agreement of a batch of annotations and check it against the thresholds of the
agreement config. Per choice field: Krippendorff's alpha (nominal) over all annotators, the number
of items (sentences with two or more answers) and annotators, a confusion table per pair of
annotators. Per span field: exact and token-overlap F1 between annotators (token F1 needs the
sentence texts, read from the corpus; --no-texts skips it). Only each annotator's latest submitted
answer counts; skipped and cancelled records are counted.

The choice fields' alpha is also given per publisher type of the sentences' articles.

Writes OUT/NAME.md, OUT/NAME.json and OUT/NAME.stance_confusion.png. Exit status: 0 when every
threshold holds, 1 when one fails (the failed checks are printed), 2 on bad input."""

ADJUDICATE_HELP = "final labels: settle agreeing answers, vote if asked, list disputes for the adjudicator"
ADJUDICATE_DESCRIPTION = """\
Derive the final label of each sentence and field from the submitted annotations and write them
to final.jsonl. Unanimous answers are settled (a single annotator: `single`). With --vote majority
or --vote dawid_skene, fields with three or more answers are decided by crowd-kit's MajorityVote
or DawidSkene; ties go to adjudication. Everything still in dispute is written to the disputes
file (one entry per sentence, with each annotator's answer and annotation id) for the Label
Studio adjudication project; --decisions FILE applies the adjudicator's decisions (JSON Lines:
sentence_id, adjudicator, labels, source_spans, decided_at) and writes those finals too.

Source spans: settled when every annotator marked the same spans; with a vote, the span set most
of the annotators whose attribution/source_type labels won marked (ties: adjudication)."""


def _selection_args(p: argparse.ArgumentParser) -> None:
    """Store and batch selection, shared by `annotate agreement` and `annotate adjudicate`."""
    from .agreement import DEFAULT_STORE

    p.add_argument("--store", default=str(DEFAULT_STORE), metavar="DIR",
                   help="corpus store directory holding annotations.jsonl (default: %(default)s)")
    p.add_argument("--batch", metavar="NAME",
                   help="only records pushed as this batch (origin.batch); also the report name")
    add_articles_argument(p, help="only sentences of these articles (ids separated by spaces or commas)")
    p.add_argument("--sentences", nargs="+", metavar="ID", help="only these sentence ids")
    p.add_argument("--name", metavar="NAME",
                   help="name of the outputs (default: the --batch name, else 'all' or 'selection')")


def cmd_agreement(args) -> int:
    from .agreement import (_fmt, article_of, check_thresholds, compute_agreement, load_batch, load_schema,
                            load_thresholds, read_texts, slice_agreement, write_report)

    schema = load_schema()
    thresholds = load_thresholds(args.config, schema)
    store, batch = load_batch(args, schema)
    texts = None if args.no_texts else read_texts(store, batch, args.archive)
    report = compute_agreement(batch, texts, schema)
    verdict = check_thresholds(report, thresholds)
    articles = store.articles()
    publisher_type = {sid: (articles.get(article_of(sid)) or {}).get("publisher_type") for sid in batch.answers}
    slices = {"publisher_type": slice_agreement(batch, publisher_type, schema)}
    paths = write_report(report, verdict, args.out, slices=slices)
    for r in report.alphas.values():
        print(f"{r.field:<12} alpha {_fmt(r.alpha)}  items {r.items}  single {r.items_single}  "
              f"annotators {r.annotators}" + (f"  ({r.reason})" if r.reason else ""))
    for s in report.spans.values():
        print(f"{s.field:<12} exact F1 {_fmt(s.exact.f1)}  token F1 {_fmt(s.token.f1 if s.token else None)}  "
              f"items {s.items}")
    c = batch.status_counts
    print(f"records: {batch.records} ({', '.join(f'{k} {v}' for k, v in c.items())}), "
          f"superseded {len(batch.superseded)}")
    print("wrote " + ", ".join(str(p) for p in paths.values()))
    if not verdict.passed:
        print(f"warvoices: batch {batch.name!r} FAILS the agreement thresholds of {thresholds.path}:",
              file=sys.stderr)
        for ch in verdict.failures:
            print(f"  - {ch.describe()}", file=sys.stderr)
        if any(ch.value is not None for ch in verdict.failures):
            print("  Discuss the disagreements with the annotators (see the confusion tables in "
                  f"{paths['markdown']}) and refine the guidelines before aggregating this batch.", file=sys.stderr)
        if any(ch.value is None for ch in verdict.failures):
            print("  An undefined figure cannot show agreement: have a second annotator label the batch "
                  "(or pass the sentence texts for token F1); to accept it anyway set `undefined: pass` "
                  "in the config.", file=sys.stderr)
        return 1
    print(f"batch {batch.name!r} passes the agreement thresholds" if verdict.checks
          else "no agreement thresholds configured")
    return 0


def cmd_adjudicate(args) -> int:
    """Everything is read and checked first (server, batch, texts, decisions, aggregation in a dry
    run); only then are final.jsonl, the disputes file, the decisions file and the adjudication
    project written."""
    import copy

    from warvoices.corpus.store import Store

    from . import aggregate
    from .agreement import output_name
    from warvoices.corpus.cli_args import next_command
    from .ls_adjudication import decisions_path, pull_decisions, push_disputes, read_disputes, write_decisions
    from warvoices.corpus.batch_manifests import load_manifest
    from .ls_pull import batch_corpus, check_server

    store = Store(args.store)
    use_ls = not args.no_label_studio
    if args.pull and not use_ls:
        raise WarVoicesError("--pull reads from Label Studio; it cannot be combined with --no-label-studio")
    if use_ls and not args.batch:
        raise WarVoicesError("the Label Studio adjudication project belongs to a batch: give --batch NAME "
                             "(or --no-label-studio to only write final.jsonl and the disputes file)")
    if args.pull and args.decisions:
        raise WarVoicesError("give either --pull (decisions from Label Studio) or --decisions FILE, not both")
    client = loader = None
    decisions: list[dict] = []
    try:
        if use_ls:
            manifest = load_manifest(store, args.batch)
            loader = _loader(args)
            batch_corpus(store, loader, manifest)  # every text of the batch is readable (archive given?)
            client = _client(args)
            client.whoami()  # server up, token right
            check_server(client, manifest)
            if args.pull:
                decisions, counts = pull_decisions(client, store, loader, args.batch, _user_map(args), write=False)
                print(f"adjudication project: {counts['submitted']} decision(s), {counts['skipped']} skipped, "
                      f"{counts['cancelled']} cancelled")
        # the whole aggregation once without writing: a bad decision or record fails here
        dry = copy.copy(args)
        dry.dry_run, dry.decision_records = True, decisions
        rc = aggregate.run(dry, quiet=True)
        if rc != 0:
            return rc
        if args.dry_run:
            args.decision_records = decisions
            return aggregate.run(args)
        if args.pull:
            path = write_decisions(store, args.batch, decisions)
            print(f"wrote {len(decisions)} decision(s) to {path}")
            args.decisions = [str(decisions_path(store, args.batch))] if decisions else None
        rc = aggregate.run(args)
        if rc != 0 or not use_ls:
            return rc
        disputes = Path(args.disputes) if args.disputes else aggregate.DEFAULT_DISPUTES / f"{output_name(args)}.disputes.json"
        entries = read_disputes(disputes)
        if not entries:
            print("no open disputes: nothing for the adjudication project")
            print("next: refresh the tables rendered from the store with `" + next_command(
                args, "generate", store=False, connection=False, archive=False) + "`, then rebuild the dataset "
                "with `" + next_command(args, "build", "--out", "out/dataset", connection=False) + "`")
            return 0
        res = push_disputes(client, store, loader, args.batch, entries)
        print(f"adjudication project {res['project']} at {client.url}: {res['new']} task(s) added, {res['existing']} "
              f"already there ({client.url}/projects/{res['project']}/data). The form starts empty; the annotators' "
              "answers are shown side by side above it.")
        again = ["annotate", "adjudicate", "--batch", args.batch, "--pull"]
        if args.disputes:
            again += ["--disputes", str(args.disputes)]
        print("next, when the adjudicator has submitted: " + next_command(args, *again))
        return 0
    finally:
        if client is not None:
            client.close()


def register(sub) -> None:
    p = sub.add_parser("annotate", help="Label Studio annotation loop: server, push, pull, agreement, adjudicate",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    asub = p.add_subparsers(dest="annotate_command", metavar="STEP", required=True)

    c = asub.add_parser("config", help="render annotation/label_config.xml from annotation/schema.yaml",
                        description="Write the Label Studio labeling config (annotation/label_config.xml) rendered "
                                    "from annotation/schema.yaml; --check only compares. `warvoices generate` does "
                                    "this too, with every other rendering of the schema.")
    c.add_argument("--check", action="store_true", help="only compare; exit 1 when the file is out of date")
    c.set_defaults(func=cmd_config)

    # server
    s = asub.add_parser("server", help="set up, start, stop or check the local Label Studio server",
                        description="The local Label Studio server: `setup` installs it in its own venv, `start` "
                                    "runs it on 127.0.0.1 with a data directory of yours, `status` and `stop` "
                                    "check and end it. The data directory holds the database, WarVoices' files "
                                    "(DATA_DIR/warvoices/: state, log, admin token and password, users, the "
                                    "server's identity) and is never part of the repository.")
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
    x = ssub.add_parser("stop", help="stop the server of a data directory (SIGTERM, then SIGKILL)",
                        description="Stop the server recorded for the data directory: SIGTERM to its process "
                                    "group, SIGKILL after 15 s. Returns when every process of it has ended and its "
                                    "port is free, so `server start` may follow at once.")
    _data_dir_arg(x)
    x.set_defaults(func=cmd_server_stop)
    x = ssub.add_parser("status", help="is the server running? (exit 0 yes, 3 no)",
                        description="Show the data directory's server: URL, pid, state, version, admin user, "
                                    "server identity, token file and log. Exit status 0 when it answers, 3 when not.")
    _data_dir_arg(x)
    x.set_defaults(func=cmd_server_status)

    # users
    u = asub.add_parser("users", help="annotator accounts on the Label Studio server",
                        description="Annotator ids (ann-a, adj-1, …) and their Label Studio accounts: `add` creates "
                                    "or maps one, `list` shows them. The mapping and generated passwords are kept in "
                                    "DATA_DIR/warvoices/users.json (mode 0600).")
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
    x = usub.add_parser("list", help="list registered annotators and their Label Studio users",
                        description="List the annotators registered for the data directory's server: id, e-mail, "
                                    "Label Studio user id and whether a password is stored (never shown).")
    _data_dir_arg(x)
    x.set_defaults(func=cmd_users_list)

    # select
    from .select import DEFAULT_MAX, DEFAULT_MIN, DEFAULT_UN_SHARE, DEFAULT_WAR_SHARE

    x = asub.add_parser("select", help="choose the passages of the next batch (seeded, stratified, no repeats)",
                        formatter_class=argparse.RawDescriptionHelpFormatter,
                        description=SELECT_DESCRIPTION.format(un=DEFAULT_UN_SHARE, war=DEFAULT_WAR_SHARE,
                                                              lo=DEFAULT_MIN, hi=DEFAULT_MAX))
    x.add_argument("--batch", required=True, metavar="NAME", help="name of the new batch (1-24 characters)")
    x.add_argument("--split", required=True, choices=["train", "validation", "test"], help="split to draw from")
    x.add_argument("--units", required=True, type=int, metavar="N", help="about how many units (passages are whole, "
                                                                        "so a few more may come)")
    x.add_argument("--strategy", default="random", choices=["random", "uncertainty"],
                   help="order within a stratum (default: %(default)s; uncertainty only for train)")
    x.add_argument("--predictions", default=None, metavar="FILE",
                   help="pre-annotation file whose `score` gives the uncertainty (1 - score)")
    x.add_argument("--seed", type=int, default=0, help="random seed (default: %(default)s); stored with the choice")
    x.add_argument("--mix", default=None, metavar="TYPE=SHARE,...",
                   help=f"share of units per publisher type (default: {DEFAULT_UN_SHARE} UN addresses, the rest equally)")
    x.add_argument("--war-share", type=float, default=DEFAULT_WAR_SHARE,
                   help="share of UN units from passages that mention the war (default: %(default)s)")
    x.add_argument("--passage", default=f"{DEFAULT_MIN}-{DEFAULT_MAX}", metavar="MIN-MAX",
                   help="passage length in units (default: %(default)s)")
    x.add_argument("--dry-run", action="store_true", help="show the choice, write nothing")
    _store_args(x)
    x.set_defaults(func=cmd_select)

    # push
    x = asub.add_parser("push", help="send a batch (a selection's passages, or whole articles) to Label Studio, one "
                                     "project per annotator",
                        formatter_class=argparse.RawDescriptionHelpFormatter,
                        description="Create (or reuse) one Label Studio project per annotator for batch NAME and "
                                    "import one task per unit of the batch's selection (`annotate select`; give no "
                                    "--articles) or of the given whole articles (sentence, the sentences "
                                    "before and after it, title, publisher, date). Annotators missing from "
                                    "users.json are created. Rerunning the same command adds nothing; an "
                                    "interrupted push resumes. The manifest STORE/batches/NAME.json records what went "
                                    "where, and the server's identity: the batch is pulled from that server only.\n\n"
                                    "Blindness: all annotators share one server, each with a project of their own; "
                                    "the open-source edition cannot hide the other projects from them (README, "
                                    "Annotation). The push prints each annotator's project link; work done in "
                                    "another annotator's project is refused at pull (LS009).\n\n"
                                    "Pre-annotation: --predictions FILE from `warvoices baselines predict --articles ID ... "
                                    "--format label-studio` (one or several models); every line is checked against "
                                    "the schema and its dependencies first.\n\n" + CONNECTION_HELP)
    x.add_argument("--batch", required=True, metavar="NAME", help="batch name (1-24 characters: letters, digits, . _ -)")
    add_articles_argument(x)
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
                                    "Skipped and cancelled tasks are recorded. Pulling twice adds nothing twice. "
                                    "Records are named after the server's identity (ls:SERVER:PROJECT:ANNOTATION); "
                                    "a batch is only pulled from the server it was pushed to.\n\n"
                                    "An answer edited in Label Studio after it was pulled (a different status, label "
                                    "or span; the time spent does not count) is LS011, listed field by field: undo the "
                                    "edit and pull again, or keep it as a new revision with --accept-edit ID / "
                                    "--accept-edits (the stored answer stays as history).\n\n"
                                    "Afterwards run `warvoices generate` (tables rendered from the store).\n\n"
                                    + CONNECTION_HELP)
    x.add_argument("--batch", required=True, metavar="NAME", help="the batch to pull (its manifest is STORE/batches/NAME.json)")
    x.add_argument("--accept-edits", action="store_true",
                   help="keep every answer edited in Label Studio after it was pulled (LS011) as a new revision "
                        "(<id>:r2, …); the stored answer stays in the store as history")
    x.add_argument("--accept-edit", action="append", type=int, metavar="ANNOTATION",
                   help="the same for one Label Studio annotation id (repeatable; the LS011 message names it)")
    _store_args(x)
    _connection_args(x)
    x.set_defaults(func=cmd_pull)

    x = asub.add_parser("tasks", help="write an annotator's tasks of a batch to a file, for annotators working "
                                      "through the API",
                        description="Write the units of ANNOTATOR's own project in batch NAME (or, with "
                                    "--adjudication, of the batch's adjudication project, with every annotator's "
                                    "answer as A, B, ... and the disputed fields) to JSON Lines: one line per passage "
                                    "for a batch chosen by `annotate select`, else one per article, units in order. For language-model or scripted annotators, who "
                                    "then answer with `annotate submit`. The file holds sentence texts: it is "
                                    "refused inside the repository.\n\n" + CONNECTION_HELP,
                        formatter_class=argparse.RawDescriptionHelpFormatter)
    x.add_argument("--batch", required=True, metavar="NAME", help="the pushed batch")
    x.add_argument("--annotator", required=True, metavar="NAME", help="whose project (a registered annotator)")
    x.add_argument("--out", required=True, metavar="FILE", help="JSON Lines file to write (outside the repository)")
    x.add_argument("--adjudication", action="store_true", help="the batch's adjudication project instead")
    _store_args(x)
    _connection_args(x)
    x.set_defaults(func=cmd_tasks)

    x = asub.add_parser("submit", help="submit an annotator's answers into their own Label Studio project, with "
                                       "their own token",
                        description="Submit ANSWERS (JSON Lines in the answer shape of `corpus annotate-direct`: "
                                    "sentence_id, one label per choice field, source_mentions as text; optional "
                                    "note, lead_time, or skipped: true) as annotations of ANNOTATOR's own Label "
                                    "Studio user in their project of batch NAME (or the adjudication project, where "
                                    "each decision also needs a one-line `rationale`). Every "
                                    "line is checked against the schema and the batch before anything is sent; tasks "
                                    "this user already answered are left alone, so a rerun resumes. Then `annotate "
                                    "pull` brings the answers in like any other.\n\n" + CONNECTION_HELP,
                        formatter_class=argparse.RawDescriptionHelpFormatter)
    x.add_argument("--batch", required=True, metavar="NAME", help="the pushed batch")
    x.add_argument("--annotator", required=True, metavar="NAME", help="the annotator submitting (their own token)")
    x.add_argument("--answers", required=True, metavar="FILE", help="the answers, JSON Lines")
    x.add_argument("--adjudication", action="store_true", help="answers are decisions in the adjudication project")
    _store_args(x)
    _connection_args(x)
    x.set_defaults(func=cmd_submit)

    from . import ls_migrate

    x = asub.add_parser("migrate-ids", help="rename annotation ids of the old format ls:P:A to ls:SERVER:P:A",
                        formatter_class=argparse.RawDescriptionHelpFormatter, description=ls_migrate.__doc__)
    x.add_argument("--store", type=Path, default=None, metavar="DIR", help="corpus store directory (default: corpus/data)")
    x.add_argument("--data-dir", type=Path, default=None, metavar="DIR",
                   help="the data directory of the server the old batches were pushed to, if it still exists")
    x.add_argument("--dry-run", action="store_true", help="only report what would change")
    x.set_defaults(func=cmd_migrate_ids)

    # agreement and adjudication (annotation/agreement.py, annotation/aggregate.py)
    from .agreement import DEFAULT_CONFIG, DEFAULT_OUT
    from .aggregate import DEFAULT_DISPUTES, VOTES

    x = asub.add_parser("agreement", help="Krippendorff's alpha, confusion tables, span F1 of a batch",
                        description=AGREEMENT_DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    _selection_args(x)
    x.add_argument("--out", default=str(DEFAULT_OUT), metavar="DIR",
                   help="report directory (default: %(default)s)")
    x.add_argument("--config", default=str(DEFAULT_CONFIG), metavar="FILE",
                   help="agreement thresholds, per field (default: %(default)s)")
    x.add_argument("--archive", metavar="DIR",
                   help="external text archive for the sentence texts (default: $WARVOICES_ARCHIVE, else "
                        "../shared/archive when present)")
    x.add_argument("--no-texts", action="store_true",
                   help="do not read sentence texts; token-overlap F1 is then reported as undefined")
    x.set_defaults(func=cmd_agreement)

    x = asub.add_parser("adjudicate", help=ADJUDICATE_HELP,
                        description=ADJUDICATE_DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    _selection_args(x)
    x.add_argument("--vote", choices=VOTES, default="none",
                   help="how to decide fields with three or more disagreeing answers "
                        "(default: %(default)s = send them to adjudication)")
    x.add_argument("--min-posterior", type=float, default=0.0, metavar="P",
                   help="with --vote dawid_skene, send items whose winning posterior is below P "
                        "to adjudication (default: %(default)s)")
    x.add_argument("--decisions", metavar="FILE", action="append",
                   help="JSON Lines of adjudicator decisions to turn into final records (repeatable, e.g. "
                        "every STORE/batches/*.decisions.jsonl)")
    x.add_argument("--disputes", metavar="FILE",
                   help=f"where to write the open disputes (default: {DEFAULT_DISPUTES}/NAME.disputes.json)")
    x.add_argument("--dry-run", action="store_true", help="report what would be written, write nothing")
    x.description = (x.description or "") + (
        "\n\nLabel Studio: with --batch, the open disputes then go to the batch's adjudication project "
        "('wv NAME adjudication'). Its form starts empty; the annotators' answers are shown side by side above it "
        "(anonymous: answer A, answer B, …), never pre-filled. When the adjudicator has submitted, `--pull` reads "
        "the decisions back (validated like any export), keeps them in STORE/batches/NAME.decisions.jsonl and "
        "writes them as final labels (method adjudicated). Server, texts and decisions are all checked before "
        "anything is written. --no-label-studio keeps everything local.\n\n" + CONNECTION_HELP)
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

