//! The client against a real server, and its error messages when things go wrong.

use crate::common;

use byzvote_api::{
    Client, ClientError, ServerConfig, VoteRequest,
    cli::{AskOptions, ask_main, parse_certificate_file},
};

#[tokio::test]
async fn client_votes_and_reads_the_cluster() {
    let base = common::start(ServerConfig::default()).await;
    let client = Client::new(&format!("{base}/")).unwrap();
    let vote = client.vote(&VoteRequest::prompt("berlin")).await.unwrap();
    assert_eq!(vote.answer.as_deref(), Some("BERLIN"));
    assert_eq!(client.get_vote(&vote.id).await.unwrap(), vote);
    assert_eq!(client.cluster().await.unwrap().node, "node-0");
    client.health().await.unwrap();
}

#[tokio::test]
async fn api_errors_carry_the_nodes_message() {
    let base = common::start(ServerConfig::default()).await;
    let client = Client::new(&base).unwrap();
    let mut request = VoteRequest::prompt("x");
    request.mode = "vibes".into();
    let err = client.vote(&request).await.unwrap_err();
    match &err {
        ClientError::Api { status, body } => {
            assert_eq!(*status, 422);
            assert_eq!(body.error.code.as_deref(), Some("unknown_mode"));
        }
        other => panic!("expected an API error, got {other:?}"),
    }
    assert!(err.to_string().contains("unknown mode"), "{err}");
    let err = client.get_vote(&"1".repeat(64)).await.unwrap_err();
    assert!(
        matches!(err, ClientError::Api { status: 404, .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn nothing_listening_says_to_start_the_cluster() {
    // A port that was just free: bind, read it, close.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let err = Client::new(&endpoint)
        .unwrap()
        .vote(&VoteRequest::prompt("x"))
        .await
        .unwrap_err();
    assert!(matches!(err, ClientError::Connect { .. }), "{err:?}");
    let message = err.to_string();
    assert!(
        message.contains(&format!("cannot connect to {endpoint}"))
            && message.contains("is `byzvote up` running?"),
        "{message}"
    );
}

#[test]
fn invalid_endpoints_are_refused() {
    for bad in ["127.0.0.1:7400", "ftp://host", "http://", "not a url"] {
        let err = Client::new(bad).unwrap_err();
        assert!(
            matches!(err, ClientError::InvalidEndpoint { .. }),
            "{bad}: {err:?}"
        );
    }
}

#[tokio::test]
async fn a_server_that_is_not_byzvote_is_reported_as_such() {
    // A plain axum server answering text.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app =
        axum::Router::new().fallback(|| async { (axum::http::StatusCode::IM_A_TEAPOT, "tea") });
    tokio::spawn(async move { axum::serve(listener, app).await });
    let err = Client::new(&format!("http://{addr}"))
        .unwrap()
        .cluster()
        .await
        .unwrap_err();
    assert!(
        matches!(err, ClientError::BadResponse { status: 418, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("is it a byzvote node"), "{err}");
}

#[tokio::test]
async fn ask_main_renders_text_or_json_and_flags_no_agreement() {
    let base = common::start(ServerConfig::default()).await;
    let options = AskOptions {
        endpoint: base.clone(),
        ..AskOptions::default()
    };
    let out = ask_main(&VoteRequest::prompt("rome"), &options)
        .await
        .unwrap();
    assert!(out.agreed);
    assert!(out.text.starts_with("ROME\n"), "{}", out.text);
    assert!(out.text.contains("agreed"), "{}", out.text);
    let json = AskOptions {
        json: true,
        ..options.clone()
    };
    let out = ask_main(&VoteRequest::prompt("split"), &json)
        .await
        .unwrap();
    assert!(!out.agreed);
    let back: byzvote_api::VoteResponse = serde_json::from_str(&out.text).unwrap();
    assert_eq!(back, out.response);
    // A bad mode is refused before anything is sent (this endpoint has nothing listening).
    let mut bad = VoteRequest::prompt("x");
    bad.mode = "class:".into();
    let nowhere = AskOptions {
        endpoint: "http://127.0.0.1:1".into(),
        ..AskOptions::default()
    };
    let err = ask_main(&bad, &nowhere).await.unwrap_err();
    assert!(matches!(err, ClientError::InvalidRequest(_)), "{err:?}");
    assert!(err.to_string().contains("class:yes,no"), "{err}");
    // A response without a certificate has nothing to verify.
    let err = parse_certificate_file(&out.text, "out.json").unwrap_err();
    assert!(err.to_string().contains("without a certificate"), "{err}");
}

#[tokio::test]
async fn a_node_that_does_not_answer_in_time_is_a_timeout() {
    let base = common::start(ServerConfig::default()).await;
    let client = Client::new(&base)
        .unwrap()
        .with_vote_timeout(std::time::Duration::from_millis(100));
    let err = client.vote(&VoteRequest::prompt("hang")).await.unwrap_err();
    assert!(matches!(err, ClientError::Timeout { .. }), "{err:?}");
    assert!(err.to_string().contains("may still finish"), "{err}");
}
