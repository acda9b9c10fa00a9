use super::*;

#[test]
fn paths_name_the_realm() {
    assert_eq!(
        path(&ir::Name("optimal".into())),
        "keycloak/optimal-realm.json"
    );
}
