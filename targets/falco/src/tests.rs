use super::*;

#[test]
fn pod_labels_take_the_form_falco_parses() {
    assert_eq!(print_field(&pod_label("app")), "k8s.pod.label.app");
    assert_eq!(print_field(&pod_label("team.io")), "k8s.pod.label.team.io");
    assert_eq!(
        print_field(&pod_label("app.kubernetes.io/name")),
        "k8s.pod.label[app.kubernetes.io/name]"
    );
    assert_eq!(print_field(&pod_label("-x")), "k8s.pod.label[-x]");
}

#[test]
fn list_items_splice_as_themselves() {
    assert_eq!(list_item_text("bash"), "bash");
    assert_eq!(list_item_text("<NA>"), "<NA>");
    assert_eq!(list_item_text("a b"), "\"a b\"");
    assert_eq!(list_item_text("x,y"), "\"x,y\"");
}
