"""The editing studio checked in a real browser: JupyterLab on a free local port, nbs/studio.ipynb opened in headless
Chromium and run (Run > Run All Cells) on the shipped example photo, until the studio shows its edited images; then
its Save button is clicked (the server works in a temporary copy of the notebook's folder). Saves
figures/studio_browser.png; fails, naming why, when the studio shows an error, a cell raises, or no images
appear in time (a screenshot of that goes to runs/browser_check/). Always shuts the browser and the server down.

It installs what it needs when missing: Debian's `chromium` (apt-get, as root) and Playwright (pip, with
constraints.txt) into the running Python's environment. Playwright drives the system Chromium; it downloads no
browser of its own. Run it with the project's Python: `.venv/bin/python tools/browser_check.py`
(or `make browser-check`).
"""
import argparse, json, os, re, secrets, shutil, signal, socket, subprocess, sys, tempfile, time, urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
CHROMIUM = Path('/usr/bin/chromium')
NOTEBOOK = ROOT / 'nbs' / 'studio.ipynb'
SHOT = ROOT / 'figures' / 'studio_browser.png'
FAILED_SHOT = ROOT / 'runs' / 'browser_check' / 'studio_browser_failed.png'
CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
                 '--disable-background-networking', '--disable-component-update', '--disable-sync',
                 '--disable-dev-shm-usage']
LAB_SETTINGS = {'@jupyterlab/apputils-extension/notification': {'fetchNews': 'false', 'checkForUpdates': False},
                '@jupyterlab/notebook-extension/tracker': {'autoStartDefaultKernel': True}}
T0 = time.perf_counter()

def log(msg:str): print(f'[browser-check {time.perf_counter() - T0:6.1f} s] {msg}', flush=True)

def ensure_chromium():
    "Debian's chromium, installed with apt-get when missing (root only)."
    if CHROMIUM.exists(): return
    if os.geteuid() != 0:
        sys.exit(f'{CHROMIUM} is missing: install it (sudo apt-get install chromium) and run again')
    log('installing chromium (apt-get)')
    env = {**os.environ, 'DEBIAN_FRONTEND': 'noninteractive'}
    subprocess.run(['apt-get', 'update', '-q'], check=True, env=env)
    subprocess.run(['apt-get', 'install', '-y', '-q', 'chromium'], check=True, env=env)
    if not CHROMIUM.exists(): sys.exit(f'apt-get installed chromium, but {CHROMIUM} is still missing')

def ensure_playwright():
    "Playwright's Python package, installed with pip (pinned by constraints.txt) when missing."
    try: import playwright.sync_api  # noqa: F401
    except ImportError:
        log('installing playwright (pip, constraints.txt)')
        pip = [sys.executable, '-m', 'pip', 'install', '-q', '-c', str(ROOT / 'constraints.txt'), 'playwright']
        subprocess.run(pip, check=True)

def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]

def start_lab(work:Path, port:int, token:str, notebook:Path=NOTEBOOK) -> subprocess.Popen:
    "JupyterLab on 127.0.0.1:port serving a copy of the studio notebook (so the check never saves into nbs/)."
    nbdir = work / 'notebooks'
    nbdir.mkdir()
    shutil.copy(notebook, nbdir / NOTEBOOK.name)
    env = {**os.environ, 'OMP_NUM_THREADS': os.environ.get('OMP_NUM_THREADS', '1'),
           'JUPYTER_CONFIG_DIR': str(work / 'config'), 'JUPYTERLAB_WORKSPACES_DIR': str(work / 'workspaces'),
           'JUPYTER_RUNTIME_DIR': str(work / 'runtime'), 'IPYTHONDIR': str(work / 'ipython')}
    cmd = [str(BIN / 'jupyter'), 'lab', '--no-browser', '--ip=127.0.0.1', f'--port={port}', '--port-retries=0',
           f'--IdentityProvider.token={token}', f'--ServerApp.root_dir={nbdir}', '--LabApp.news_url=',
           '--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate', '--LabApp.extension_manager=readonly']
    if os.geteuid() == 0: cmd.append('--allow-root')
    for name, value in LAB_SETTINGS.items():  # a fresh user-settings folder: no news prompt, the kernel starts unasked
        f = work / 'config' / 'lab' / 'user-settings' / f'{name}.jupyterlab-settings'
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text(json.dumps(value))
    log(f'starting JupyterLab on port {port}')
    return subprocess.Popen(cmd, cwd=nbdir, env=env, stdout=open(work / 'lab.log', 'wb'), stderr=subprocess.STDOUT,
                            start_new_session=True)

def wait_for_lab(proc:subprocess.Popen, base:str, token:str, work:Path, timeout:float=120):
    "Return once the server answers its status API; fail if it exits or stays silent."
    end = time.time() + timeout
    while time.time() < end:
        if proc.poll() is not None:
            log_tail = (work / 'lab.log').read_text()[-3000:]
            sys.exit(f'JupyterLab exited ({proc.returncode}) before answering:\n{log_tail}')
        try:
            with urllib.request.urlopen(f'{base}/api/status?token={token}', timeout=5) as r:
                if r.status == 200: return log('JupyterLab answers')
        except OSError: time.sleep(0.5)
    sys.exit(f'JupyterLab did not answer within {timeout:.0f} s:\n' + (work / 'lab.log').read_text()[-3000:])

def stop_lab(proc:subprocess.Popen, base:str, token:str):
    "Shut the server (and its kernels) down through its API, then by signals if it lingers."
    if proc.poll() is None:
        try: urllib.request.urlopen(urllib.request.Request(f'{base}/api/shutdown?token={token}', method='POST'),
                                    timeout=10).close()
        except OSError: pass
        try: proc.wait(20)
        except subprocess.TimeoutExpired: pass
    for sig in (signal.SIGTERM, signal.SIGKILL):
        if proc.poll() is not None: break
        try: os.killpg(proc.pid, sig)
        except ProcessLookupError: break
        try: proc.wait(10)
        except subprocess.TimeoutExpired: pass
    log('JupyterLab stopped')

# What the page shows: the studio's images (loaded, from data: or blob: URLs), its markers, and cell errors.
STATE_JS = """() => {
  const imgs = [...document.querySelectorAll('.fexpr-studio img')].filter(
      i => /^(data|blob):/.test(i.src) && i.complete && i.naturalWidth > 0);
  const err = document.querySelector('.fexpr-studio-error');
  const tracebacks = [...document.querySelectorAll('.jp-OutputArea-output')].map(o => o.innerText)
      .filter(t => /Traceback|\\w+Error:/.test(t));
  return {images: imgs.length, done: !!document.querySelector('.fexpr-studio-done'),
          error: err ? err.innerText : null, traceback: tracebacks.length ? tracebacks[0].slice(-1500) : null,
          status: (document.querySelector('.fexpr-studio') || {}).innerText || null};
}"""

KERNEL_IDLE_JS = ("() => [...document.querySelectorAll('.jp-StatusBar-TextItem')]"
                  ".some(e => /[|] Idle/.test(e.innerText))")
PROMPTS_JS = "() => [...document.querySelectorAll('.jp-InputPrompt')].map(e => e.innerText).join(' ')"

def run_all(page, timeout:float=180):
    "Once the kernel is idle, Run > Run All Cells through the menu bar (as a user would), until the cells start."
    page.locator('.jp-NotebookPanel .jp-Notebook').first.wait_for(state='visible', timeout=120_000)
    end = time.time() + timeout
    while not page.evaluate(KERNEL_IDLE_JS):  # a click before the kernel is connected is lost
        if time.time() > end: raise TimeoutError(f'the kernel was not idle within {timeout:.0f} s')
        accept_kernel_dialog(page)
        time.sleep(0.5)
    log('kernel idle')
    for _ in range(3):
        page.locator('.lm-MenuBar-item', has_text=re.compile(r'^Run$')).first.click()
        page.locator('.lm-Menu-item[data-command="runmenu:run-all"], '
                     '.lm-Menu-item[data-command="notebook:run-all-cells"]').first.click()
        log('Run All Cells clicked')
        for _ in range(20):
            if re.search(r'\[(\*|\d+)\]', page.evaluate(PROMPTS_JS)): return
            time.sleep(0.5)
    raise TimeoutError('the cells did not start after three clicks on Run All Cells')

def accept_kernel_dialog(page):
    "Should JupyterLab ask which kernel to start, take the one it offers (the notebook's)."
    dialog = page.locator('.jp-Dialog', has_text='Select Kernel')
    if dialog.count() and dialog.first.is_visible():
        dialog.first.locator('.jp-mod-accept').first.click()
        log('kernel dialog: accepted the preferred kernel')

def wait_for_studio(page, timeout:float) -> dict:
    "Poll the page until the studio shows its edits (returns its state) or fails (exits, naming why)."
    end, state, last = time.time() + timeout, {}, None
    while time.time() < end:
        accept_kernel_dialog(page)
        state = page.evaluate(STATE_JS)
        if state['error']: fail(page, f"the studio shows an error: {state['error']}")
        if state['traceback']: fail(page, f"a cell raised:\n{state['traceback']}")
        if state['done'] and state['images'] >= 2: return state
        if (state['images'], state['done']) != last:
            last = (state['images'], state['done'])
            log(f"waiting: {state['images']} images, done marker {state['done']}")
        time.sleep(1)
    fail(page, f"no edited images within {timeout:.0f} s ({state.get('images', 0)} images, done marker "
               f"{state.get('done')}; the studio shows: {state.get('status')!r})")

def save(page, timeout:float=60):
    "Click **Save** (it writes into the server's temporary folder) and wait for the studio to say it saved."
    page.locator('.fexpr-studio button', has_text='Save').first.click()
    try: page.locator('.fexpr-studio-saved').first.wait_for(timeout=timeout * 1000)
    except Exception:
        fail(page, f"Save: no 'saved' message within {timeout:.0f} s (error shown: {page.evaluate(STATE_JS)['error']})")
    log(page.locator('.fexpr-studio-saved').first.inner_text())

def fail(page, why:str):
    FAILED_SHOT.parent.mkdir(parents=True, exist_ok=True)
    try: page.screenshot(path=str(FAILED_SHOT))
    except Exception as e: why += f' (no screenshot: {e})'
    else: why += f' (screenshot: {FAILED_SHOT.relative_to(ROOT)})'
    raise SystemExit(f'browser check FAILED: {why}')

def check(base:str, token:str, work:Path, timeout:float) -> dict:
    "Open the notebook in headless Chromium, run it, wait for the edits, save the screenshot."
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        ctx = p.chromium.launch_persistent_context(str(work / 'chromium'), executable_path=str(CHROMIUM),
                                                   headless=True, args=CHROMIUM_ARGS,
                                                   viewport={'width': 1600, 'height': 1250})
        try:
            page = ctx.new_page()
            log(f'Chromium {ctx.browser.version if ctx.browser else ""} opens the studio notebook')
            page.goto(f'{base}/lab/tree/{NOTEBOOK.name}?token={token}', timeout=120_000)
            try: run_all(page)
            except Exception as e: fail(page, f'could not run the notebook (Run > Run All Cells): {e}')
            state = wait_for_studio(page, timeout)
            page.locator('.fexpr-studio').first.scroll_into_view_if_needed()
            time.sleep(1)  # let the last images paint
            SHOT.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SHOT))
            save(page)
            return state
        finally: ctx.close()

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--timeout', type=float, default=600, help='seconds to wait for the edited images (default 600)')
    ap.add_argument('--notebook', type=Path, default=NOTEBOOK, help='the notebook to run (default nbs/studio.ipynb)')
    args = ap.parse_args()
    ensure_chromium()
    ensure_playwright()
    work = Path(tempfile.mkdtemp(prefix='fexpr_browser_check_'))
    port, token = free_port(), secrets.token_hex(16)
    base = f'http://127.0.0.1:{port}'
    proc = start_lab(work, port, token, args.notebook)
    try:
        wait_for_lab(proc, base, token, work)
        state = check(base, token, work, args.timeout)
    finally:
        stop_lab(proc, base, token)
        shutil.rmtree(work, ignore_errors=True)
    log(f"ok: {state['images']} images (the input and {state['images'] - 1} edits), done marker shown; "
        f'screenshot {SHOT.relative_to(ROOT)}')
    print(json.dumps({'images': state['images'], 'seconds': round(time.perf_counter() - T0, 1)}))

if __name__ == '__main__': main()
