//! The graph's items: a vector sorted by id with a hashed index, instead of an ordered map
//! keyed by id strings. A large posture has 50,000 items; building the ordered map compared
//! id strings ~40 times per insert and moved whole items inside its nodes, while the items are
//! only ever iterated in id order or looked up by id. The collector pushes items in the order
//! it meets them and [`ItemMap::sort`] puts them in id order once.

use hashbrown::HashTable;
use std::hash::BuildHasher;

use crate::model::{Item, ItemId};

/// Every item of the graph, iterated in id order, looked up by id through a hash index.
#[derive(Debug, Clone, Default)]
pub struct ItemMap {
    /// The items, sorted by id once collected.
    items: Vec<Item>,
    /// The hash index: each item's position, hashed and compared through the item's id. The
    /// ids stay in the items: a map keyed by id held a copy of each (50,000 at 10,000
    /// workloads).
    index: HashTable<u32>,
}

/// Equal when the items are (the index follows from them).
impl PartialEq for ItemMap {
    fn eq(&self, other: &ItemMap) -> bool {
        self.items == other.items
    }
}

impl Eq for ItemMap {}

/// An id's hash: foldhash with a fixed seed, as the crate's other tables.
fn hash_of(id: &ItemId) -> u64 {
    foldhash::fast::FixedState::default().hash_one(id)
}

impl ItemMap {
    /// Builds the index anew over the items.
    fn reindex(&mut self) {
        self.index.clear();
        for (p, item) in self.items.iter().enumerate() {
            let items = &self.items;
            self.index.insert_unique(hash_of(&item.id), p as u32, |&q| {
                hash_of(&items[q as usize].id)
            });
        }
    }

    /// The item with this id.
    pub fn get(&self, id: &ItemId) -> Option<&Item> {
        self.position(id).map(|i| &self.items[i])
    }

    /// The item with this id, and its id as the map holds it.
    pub fn get_key_value(&self, id: &ItemId) -> Option<(&ItemId, &Item)> {
        self.get(id).map(|i| (&i.id, i))
    }

    /// The position of the item with this id in [`ItemMap::values`].
    pub fn position(&self, id: &ItemId) -> Option<usize> {
        self.index
            .find(hash_of(id), |&p| self.items[p as usize].id == *id)
            .map(|&p| p as usize)
    }

    /// True when an item has this id.
    pub fn contains_key(&self, id: &ItemId) -> bool {
        self.position(id).is_some()
    }

    /// Every item, in id order.
    pub fn values(&self) -> std::slice::Iter<'_, Item> {
        self.items.iter()
    }

    /// Every id, in order.
    pub fn keys(&self) -> impl Iterator<Item = &ItemId> {
        self.items.iter().map(|i| &i.id)
    }

    /// Every (id, item), in id order.
    pub fn iter(&self) -> impl Iterator<Item = (&ItemId, &Item)> {
        self.items.iter().map(|i| (&i.id, i))
    }

    /// The number of items.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// True when there is no item.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// An empty map with room for `n` items (and their index) before it grows.
    pub(crate) fn with_capacity(n: usize) -> ItemMap {
        ItemMap {
            items: Vec::with_capacity(n),
            index: HashTable::with_capacity(n),
        }
    }

    /// Adds an item whose id is new (the caller checked [`ItemMap::contains_key`]) and returns
    /// it. The order is restored by [`ItemMap::sort`].
    pub(crate) fn push(&mut self, item: Item) -> &mut Item {
        debug_assert!(!self.contains_key(&item.id));
        let at = self.items.len();
        let items = &self.items;
        self.index
            .insert_unique(hash_of(&item.id), at as u32, |&q| {
                hash_of(&items[q as usize].id)
            });
        self.items.push(item);
        &mut self.items[at]
    }

    /// Every item, mutably (ids must not change).
    pub(crate) fn values_mut(&mut self) -> std::slice::IterMut<'_, Item> {
        self.items.iter_mut()
    }

    /// Puts the items in id order and renumbers the index.
    pub(crate) fn sort(&mut self) {
        if self.items.windows(2).all(|w| w[0].id < w[1].id) {
            return;
        }
        // The ids' keys with their positions are sorted, not the items (large structs a sort
        // would move many times, and reach through for each comparison); each item is then
        // moved once, into its place. `(block, name)` is the id's order, and ids are unique,
        // so the position never decides.
        let order: Vec<usize> = {
            let mut keys: Vec<(ir::Block, &str, usize)> = self
                .items
                .iter()
                .enumerate()
                .map(|(i, item)| (item.id.block, item.id.name.as_str(), i))
                .collect();
            keys.sort_unstable();
            keys.into_iter().map(|(_, _, i)| i).collect()
        };
        // Each item's place, then swaps in place: every swap puts one item where it belongs,
        // so no second vector of items is built (at 50,000 items, two copies of them were the
        // graph's peak memory).
        let mut place = vec![0; order.len()];
        for (to, &from) in order.iter().enumerate() {
            place[from] = to;
        }
        for i in 0..self.items.len() {
            while place[i] != i {
                let to = place[i];
                self.items.swap(i, to);
                place.swap(i, to);
            }
        }
        self.reindex();
    }
}

impl<'a> IntoIterator for &'a ItemMap {
    type Item = (&'a ItemId, &'a Item);
    type IntoIter = std::iter::Map<std::slice::Iter<'a, Item>, fn(&'a Item) -> Self::Item>;

    fn into_iter(self) -> Self::IntoIter {
        self.items.iter().map(|i| (&i.id, i))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Enforcement, ItemKind};

    fn item(block: ir::Block, name: &str) -> Item {
        Item {
            id: ItemId::new(block, name),
            kind: ItemKind::Namespace,
            label: name.to_string().into(),
            location: None,
            span: None,
            bundle: None,
            doc: None,
            enforcement: Enforcement::Enforce,
            mappings: Default::default(),
            declaration: None,
            waives: Vec::new(),
            exception: None,
        }
    }

    #[test]
    fn sorted_once_and_found_by_id() {
        let mut m = ItemMap::default();
        for n in ["c", "a", "b"] {
            m.push(item(ir::Block::Namespace, n));
        }
        m.push(item(ir::Block::System, ""));
        m.sort();
        let ids: Vec<ItemId> = m.keys().cloned().collect();
        let mut sorted = ids.clone();
        sorted.sort();
        assert_eq!(ids, sorted);
        assert_eq!(m.len(), 4);
        for id in &ids {
            assert_eq!(&m.get(id).expect("found").id, id);
            assert_eq!(m.get_key_value(id).map(|(k, _)| k), Some(id));
        }
        assert!(!m.contains_key(&ItemId::new(ir::Block::Namespace, "d")));
        assert_eq!(m.values().count(), m.iter().count());
        for (p, item) in m.values().enumerate() {
            assert_eq!(m.position(&item.id), Some(p));
        }
    }

    #[test]
    fn the_index_finds_every_item_and_no_other_through_growth_and_sort() {
        let mut m = ItemMap::default();
        assert_eq!(m.position(&ItemId::new(ir::Block::Namespace, "a")), None);
        let names: Vec<String> = (0..1000)
            .rev()
            .map(|i| format!("n{}", i * 7 % 1000))
            .collect();
        for (k, n) in names.iter().enumerate() {
            m.push(item(ir::Block::Namespace, n));
            // Found while the index grows, before the sort.
            assert_eq!(
                m.position(&ItemId::new(ir::Block::Namespace, n.clone())),
                Some(k)
            );
        }
        m.sort();
        for (p, item) in m.values().enumerate() {
            assert_eq!(m.position(&item.id), Some(p));
        }
        for absent in ["n1000", "", "n-1"] {
            assert!(!m.contains_key(&ItemId::new(ir::Block::Namespace, absent)));
        }
        // Same name, another block: another id.
        assert!(!m.contains_key(&ItemId::new(ir::Block::Workload, "n1")));
        // Equal maps compare equal whatever the order they were built in.
        let mut other = ItemMap::default();
        for n in names.iter().rev() {
            other.push(item(ir::Block::Namespace, n));
        }
        other.sort();
        assert_eq!(m, other);
    }
}
