//! Live changes (α, L2, L1, batch) made while a run goes on, when the network is slow: their
//! answers may come late or out of order (browser_playground's link test once listed two changes
//! at epoch 8 on a loaded machine). The page's `fetch` is slowed here on purpose, so that each
//! race happens every time instead of once in a while.
#![cfg(unix)]

mod browser_kit;

use browser_kit::*;

/// Wraps the page's `fetch` for `POST …/settings`: the first such request is sent only after
/// `request_ms`, every answer is handed over only `answer_ms` after it came. `window.lateChanges`
/// counts the changes not yet handed over (it drops a while after the hand-over, so that the
/// page has dealt with the answer by the time it reads 0).
async fn slow_changes(c: &fantoccini::Client, request_ms: u32, answer_ms: u32) {
    let script = "const [requestMs, answerMs] = arguments; const real = window.fetch; let first = true; \
                  window.lateChanges = 0; \
                  const wait = (ms) => new Promise((go) => setTimeout(go, ms)); \
                  window.fetch = async (url, init) => { \
                    if (!String(url).endsWith('/settings')) return real(url, init); \
                    window.lateChanges++; \
                    try { \
                      if (first) { first = false; await wait(requestMs); } \
                      const answer = await real(url, init); await wait(answerMs); return answer; \
                    } finally { setTimeout(() => window.lateChanges--, 300); } \
                  };";
    c.execute(script, vec![request_ms.into(), answer_ms.into()]).await.expect("script runs");
}

async fn iris_session(c: &fantoccini::Client, url: &str) {
    c.goto(url).await.expect("the page loads");
    c.find(fantoccini::Locator::Id("tab-train")).await.unwrap().click().await.unwrap();
    until(c, "an Iris session", "document.getElementById('t-epoch-text')?.textContent.startsWith('epoch 0')").await;
}

/// Changes made on a run that is then set up again belong to the closed run, whether answered
/// late or still waiting to be sent: the new run's list (and its link) stay empty, and no error
/// of the old session shows.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_late_answer_of_a_closed_run_is_not_listed_in_the_new_one() {
    let Some(Browser { c, url, driver: _driver }) = browser_kit::open().await else { return };
    iris_session(&c, &url).await;
    slow_changes(&c, 0, 1500).await;
    set(&c, "t-lr", "0.2").await;
    // A second change, waiting its turn behind the first: made on the old run, it is not sent
    // to the new one (which starts with the form as it is).
    set(&c, "t-l2", "0.01").await;
    // Set up again while the first change's answer is on its way.
    c.execute("document.getElementById('t-epoch').textContent = '';", vec![]).await.unwrap();
    c.find(fantoccini::Locator::Id("t-reset")).await.unwrap().click().await.unwrap();
    until(&c, "the new run", "document.getElementById('t-epoch-text')?.textContent.startsWith('epoch 0')").await;
    until(&c, "the late answer dealt with", "window.lateChanges === 0").await;
    let listed = c.execute("return document.getElementById('t-changes').textContent;", vec![]).await.unwrap();
    assert_eq!(listed, "", "the new run has had no change");
    let error = c.execute("return document.getElementById('train-error').textContent;", vec![]).await.unwrap();
    assert_eq!(error, "");
    assert!(!until(&c, "the link", "location.href").await.as_str().unwrap().contains("changes="));
}

/// Two changes made one after the other reach the server in that order, even when the first is
/// slow to leave: the run goes on with the last (L2 0.01, not the 0 the first change still
/// carried), and the list, which shows the server's answer, says so in one entry.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_reach_the_server_in_the_order_made() {
    let Some(Browser { c, url, driver: _driver }) = browser_kit::open().await else { return };
    iris_session(&c, &url).await;
    c.find(fantoccini::Locator::Id("t-one")).await.unwrap().click().await.unwrap();
    until(&c, "epoch 1", "document.getElementById('t-epoch-text')?.textContent.startsWith('epoch 1 of')").await;
    slow_changes(&c, 1500, 0).await;
    set(&c, "t-lr", "0.1").await;
    set(&c, "t-l2", "0.01").await;
    until(&c, "both changes answered", "window.lateChanges === 0").await;
    assert_eq!(
        until(&c, "the list", "document.querySelectorAll('#t-changes li').length").await,
        1,
        "epoch 2 takes the last"
    );
    let listed = until(&c, "the change listed", "document.getElementById('t-changes').textContent").await;
    assert!(listed.as_str().unwrap().contains("from epoch 2: α 0.1, L2 0.01,"), "{listed}");
}
