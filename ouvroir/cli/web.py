"""``ouvroir studio``: the local web studio."""

from __future__ import annotations

import socket

import click

from . import cli
from .corpus import err, open_studio

LOOPBACK = "127.0.0.1"


@cli.command()
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True, help="Port to listen on (0: any free port).")
@click.option("--host", default=LOOPBACK, show_default=True,
              help="Address to listen on. Anything but this machine's own needs the access token printed at start.")
@click.option("--open/--no-open", "open_browser", default=False, help="Open the page in the default browser.")
@click.pass_context
def studio(ctx, port: int, host: str, open_browser: bool) -> None:
    """Start the web studio: corpus, training, writing with the model, audits and models, in a browser.

    It listens on 127.0.0.1 (this computer only) unless --host says otherwise;
    then every request must carry the access token printed here. Stop it
    with Ctrl-C; running jobs are interrupted (a training keeps its last
    checkpoint and can be resumed).

    Example:

        ouvroir studio --port 8765
    """
    import uvicorn

    from ..web.app import create_app, wrap  # the web stack loads only for this command: other commands start fast
    from ..web.security import is_loopback, new_token

    open_studio(ctx).close()  # no studio here: the usual clear error, before the server starts
    token = None if is_loopback(host) else new_token()
    app = create_app(ctx.obj, token=token)
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host.strip("[]"), port))
        sock.listen(128)  # connections wait in the queue until the server takes them: the printed address works at once
    except OSError as exc:
        raise click.ClickException(f"cannot listen on {host}:{port} ({exc.strerror}): choose another --port") from None
    port = sock.getsockname()[1]
    shown = f"[{host.strip('[]')}]" if ":" in host else host
    address = f"http://{shown}:{port}/" + (f"?token={token}" if token else "")
    err.print(f"ouvroir studio for {ctx.obj} at [bold]{address}[/bold]", soft_wrap=True)  # one line: scripts read it
    if token:
        err.print("Listening beyond this computer: every request must carry this token (it is in the address above).")
    err.print("Ctrl-C stops it.")
    if open_browser:
        import webbrowser

        webbrowser.open(address)
    config = uvicorn.Config(wrap(app, token), log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    try:
        server.run(sockets=[sock])
    finally:
        app.state.jobs.shutdown()
