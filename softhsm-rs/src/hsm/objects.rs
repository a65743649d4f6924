//! Object management functions (PKCS#11 3.0 §5.7): create, copy, destroy, attributes, find.

use super::{lock, Hsm, ObjRef};
use crate::attr::{self, AttrType};
use crate::error::{Error, Result};
use crate::object::factory::{self, Change, Origin, Template};
use crate::object::Object;
use crate::store::{Role, StoredObject, Write};
use crate::token;
use cryptoki_sys as ck;
use std::collections::{BTreeMap, VecDeque};

/// One answer of `C_GetAttributeValue`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttrValue {
    /// The value, in the core's encoding (see [`crate::attr`]).
    Value(Vec<u8>),
    /// The attribute is sensitive or unextractable (`CKR_ATTRIBUTE_SENSITIVE`).
    Sensitive,
    /// The object has no such attribute (`CKR_ATTRIBUTE_TYPE_INVALID`).
    Invalid,
}

/// A loaded object and where it lives.
/// The longest Unique Identifier a key manager may choose.
pub const MAX_UNIQUE_ID: usize = 256;

/// A Unique Identifier chosen by the key manager for a new object (KMIP Import), and whether
/// it replaces an object that already has it.
#[derive(Debug, Clone, Copy)]
pub struct ChosenId<'a> {
    pub uid: &'a str,
    pub replace: bool,
}

/// Whether `uid` may name an object: 1 to `MAX_UNIQUE_ID` printable ASCII characters, no
/// leading or trailing space.
pub fn valid_unique_id(uid: &str) -> bool {
    (1..=MAX_UNIQUE_ID).contains(&uid.len())
        && uid.bytes().all(|b| b == b' ' || b.is_ascii_graphic())
        && uid.trim() == uid
}

/// `C_GetAttributeValue`'s answer for each of `types` of `obj` (`locked`: its sealed part could
/// not be opened).
fn attribute_values(obj: &Object, locked: bool, types: &[AttrType]) -> Vec<AttrValue> {
    types
        .iter()
        .map(|ty| match obj.get(*ty) {
            // The sealed part of a public object cannot be opened without a login.
            None if locked && obj.is_sealed_type(*ty) && applies(obj, *ty) => AttrValue::Sensitive,
            None => AttrValue::Invalid,
            Some(_) if !obj.is_revealable(*ty) => AttrValue::Sensitive,
            Some(v) => AttrValue::Value(v.to_vec()),
        })
        .collect()
}

/// What a load must open of an object's sealed part.
#[derive(Clone, Copy)]
enum Open<'a> {
    /// All of it (the object is used, changed or written back).
    All,
    /// Only if one of these attributes is in it (the object is only read).
    For(&'a [AttrType]),
}

pub(super) struct Loaded {
    pub obj: Object,
    pub at: ObjRef,
    pub handle: u64,
    /// The object has a sealed part that could not be opened (a public object while nobody is
    /// logged in in this process).
    pub locked: bool,
}

impl Hsm {
    /// Loads the object behind handle `h` as seen from a session on `slot`, sealed part
    /// included.
    pub(super) fn load(&self, slot: u64, h: u64) -> Result<Loaded> {
        self.load_as(slot, h, Open::All)
    }

    /// [`Hsm::load`], opening the sealed part only when `open` needs it.
    fn load_as(&self, slot: u64, h: u64, open: Open<'_>) -> Result<Loaded> {
        let at = {
            let s = self.state();
            let at = s.handles.get(&h).cloned().ok_or(Error::ObjectHandleInvalid)?;
            match &at {
                ObjRef::Session { slot: s2, .. } => {
                    if *s2 != slot {
                        return Err(Error::ObjectHandleInvalid);
                    }
                    let obj = s
                        .session_objects
                        .get(&h)
                        .cloned()
                        .ok_or(Error::ObjectHandleInvalid)?;
                    return Ok(Loaded {
                        obj,
                        at,
                        handle: h,
                        locked: false,
                    });
                }
                ObjRef::Token { slot: s2, .. } if *s2 != slot => return Err(Error::ObjectHandleInvalid),
                ObjRef::Token { .. } => {}
            }
            at
        };
        let ObjRef::Token { uid, .. } = &at else {
            return Err(Error::ObjectHandleInvalid);
        };
        let Some((obj, locked)) = self.load_token_object(slot, uid, open)? else {
            self.state().forget_handle(h);
            return Err(Error::ObjectHandleInvalid);
        };
        Ok(Loaded {
            obj,
            at,
            handle: h,
            locked,
        })
    }

    /// Loads token object `uid` of `slot` as seen from a session there, without a handle:
    /// `None` when the store no longer holds it; whether its sealed part stayed shut (a public
    /// object while nobody is logged in in this process).
    fn load_token_object(&self, slot: u64, uid: &str, open: Open<'_>) -> Result<Option<(Object, bool)>> {
        let (user_key, any_key) = {
            let s = self.state();
            (s.user_key(slot), s.any_key(slot))
        };
        let t = self.token(slot)?;
        let Some(stored) = self.store().load(t.id, uid)? else {
            return Ok(None);
        };
        if stored.private && user_key.is_none() {
            return Err(Error::ObjectHandleInvalid);
        }
        let locked = stored.sealed.is_some() && any_key.is_none();
        let stored = if locked {
            StoredObject {
                sealed: None,
                ..stored
            }
        } else {
            stored
        };
        let obj = self.open_stored_as(&t.uid, stored, any_key.as_ref(), open)?;
        Ok(Some((obj, locked)))
    }

    fn open_stored(
        &self,
        token_uid: &str,
        stored: StoredObject,
        key: Option<&token::TokenKey>,
    ) -> Result<Object> {
        self.open_stored_as(token_uid, stored, key, Open::All)
    }

    /// The object a stored row holds. Its sealed part is opened (one AES-GCM decryption) only
    /// when `open` needs it: a read of attributes that are all in the clear part — every KMIP
    /// request's view of its object, each object a Locate looks at, most C_GetAttributeValue
    /// calls — leaves it shut.
    fn open_stored_as(
        &self,
        token_uid: &str,
        stored: StoredObject,
        key: Option<&token::TokenKey>,
        open: Open<'_>,
    ) -> Result<Object> {
        let plain = Object::from_parts(stored.attrs.into_iter().collect(), BTreeMap::new());
        let Some(blob) = &stored.sealed else {
            return Ok(plain);
        };
        if let Open::For(types) = open {
            if !types.iter().any(|ty| plain.is_sealed_type(*ty)) {
                return Ok(plain);
            }
        }
        let Some(k) = key else {
            log::error!("object {} has a sealed part but nobody is logged in", stored.uid);
            return Err(Error::UserNotLoggedIn);
        };
        Ok(plain.with_sealed(token::unseal(k, token_uid, &stored.uid, blob)?))
    }

    /// Stores a new object for a session on `slot` and returns its handle.
    pub(super) fn insert_new(&self, session: u64, slot: u64, rw: bool, obj: Object) -> Result<u64> {
        self.insert_new_as(session, slot, rw, obj, None)
    }

    /// `insert_new` with the key manager's choice of Unique Identifier (KMIP Import), which
    /// may replace the object that has it.
    pub(super) fn insert_new_as(
        &self,
        session: u64,
        slot: u64,
        rw: bool,
        mut obj: Object,
        id: Option<ChosenId<'_>>,
    ) -> Result<u64> {
        let (user_key, any_key) = {
            let s = self.state();
            (s.user_key(slot), s.any_key(slot))
        };
        if obj.is_private() && user_key.is_none() {
            log::info!("private objects need a user login");
            return Err(Error::UserNotLoggedIn);
        }
        let replaced = match id {
            None => {
                obj.set(ck::CKA_UNIQUE_ID, token::random_id()?.into_bytes());
                None
            }
            Some(id) => {
                let old = self.check_chosen_id(slot, &obj, id)?;
                obj.set(ck::CKA_UNIQUE_ID, id.uid.as_bytes().to_vec());
                old
            }
        };
        if !obj.is_token() {
            let mut s = self.state();
            s.next_handle += 1;
            let h = s.next_handle;
            s.handles.insert(h, ObjRef::Session { owner: session, slot });
            s.session_objects.insert(h, obj);
            s.session_by_slot.entry(slot).or_default().insert(h);
            return Ok(h);
        }
        if !rw {
            return Err(Error::SessionReadOnly);
        }
        if obj.has_secrets() && any_key.is_none() {
            log::info!(
                "key material is sealed under the token key, which only a login opens: log in before creating token keys"
            );
            return Err(Error::UserNotLoggedIn);
        }
        let t = self.token(slot)?;
        let stored = self.to_stored(&t.uid, &obj, any_key.as_ref())?;
        match replaced {
            // One write replaces the old object: its row, attributes and sealed part.
            Some(old) => {
                if !self.write(t.id, Write::Update(stored))? {
                    return Err(Error::ObjectHandleInvalid);
                }
                self.state().forget_handle(old);
            }
            None => {
                self.write(t.id, Write::Insert(stored))?;
            }
        }
        Ok(self.state().handle_for(slot, obj.uid(), obj.is_private()))
    }

    /// Checks a Unique Identifier the key manager chose for a new token object: well formed,
    /// and either free or (with `replace`) held by a destroyable object, whose handle is
    /// returned.
    fn check_chosen_id(&self, slot: u64, obj: &Object, id: ChosenId<'_>) -> Result<Option<u64>> {
        if !self.manager {
            log::info!("only the key manager chooses Unique Identifiers");
            return Err(Error::ActionProhibited);
        }
        if !obj.is_token() {
            log::info!("a chosen Unique Identifier is for token objects");
            return Err(Error::TemplateInconsistent);
        }
        if !valid_unique_id(id.uid) {
            log::info!("a Unique Identifier is 1 to {MAX_UNIQUE_ID} printable ASCII characters");
            return Err(Error::AttributeValueInvalid);
        }
        let t = self.token(slot)?;
        let Some(stored) = self.store().load(t.id, id.uid)? else {
            return Ok(None);
        };
        if !id.replace {
            log::info!("an object with Unique Identifier {} exists", id.uid);
            return Err(Error::ActionProhibited);
        }
        let old = self.state().handle_for(slot, id.uid, stored.private);
        let loaded = self.load(slot, old)?;
        if loaded.locked || !loaded.obj.bool(ck::CKA_DESTROYABLE) {
            log::info!("object {} cannot be replaced (not destroyable)", id.uid);
            return Err(Error::ActionProhibited);
        }
        Ok(Some(old))
    }

    fn to_stored(
        &self,
        token_uid: &str,
        obj: &Object,
        key: Option<&token::TokenKey>,
    ) -> Result<StoredObject> {
        let sealed = if obj.has_secrets() {
            let k = key.ok_or(Error::UserNotLoggedIn)?;
            Some(token::seal(k, token_uid, obj.uid(), obj.secret_attrs())?)
        } else {
            None
        };
        Ok(StoredObject {
            uid: obj.uid().to_string(),
            private: obj.is_private(),
            attrs: obj.public_attrs().iter().map(|(k, v)| (*k, v.clone())).collect(),
            sealed,
        })
    }

    /// Writes back a changed object.
    fn replace(&self, slot: u64, loaded: &Loaded, obj: Object) -> Result<()> {
        match &loaded.at {
            ObjRef::Session { .. } => {
                self.state().session_objects.insert(loaded.handle, obj);
                Ok(())
            }
            ObjRef::Token { .. } => {
                if loaded.locked {
                    return Err(Error::UserNotLoggedIn);
                }
                let key = self.state().any_key(slot);
                let t = self.token(slot)?;
                let stored = self.to_stored(&t.uid, &obj, key.as_ref())?;
                if !self.write(t.id, Write::Update(stored))? {
                    return Err(Error::ObjectHandleInvalid);
                }
                Ok(())
            }
        }
    }

    pub(super) fn is_so(&self, slot: u64) -> bool {
        self.state().logins.get(&slot).is_some_and(|l| l.role == Role::So)
    }

    /// `C_CreateObject`.
    pub fn create_object(&self, h: u64, raw: &[(AttrType, Vec<u8>)]) -> Result<u64> {
        self.create_object_as(h, raw, None)
    }

    /// `C_CreateObject` for the key manager, which may choose the new object's Unique
    /// Identifier (KMIP Import).
    pub fn create_object_as(
        &self,
        h: u64,
        raw: &[(AttrType, Vec<u8>)],
        id: Option<ChosenId<'_>>,
    ) -> Result<u64> {
        let (_, slot, rw) = self.session(h)?;
        let t = self.template(raw)?;
        let class = factory::tmpl_ulong(&t, ck::CKA_CLASS).ok_or_else(|| {
            log::info!("C_CreateObject template lacks CKA_CLASS");
            Error::TemplateIncomplete
        })?;
        let key_type = match class {
            ck::CKO_PUBLIC_KEY | ck::CKO_PRIVATE_KEY | ck::CKO_SECRET_KEY | ck::CKO_DOMAIN_PARAMETERS => {
                Some(factory::tmpl_ulong(&t, ck::CKA_KEY_TYPE).ok_or(Error::TemplateIncomplete)?)
            }
            _ => None,
        };
        let mut obj = factory::build(Origin::Create, class, key_type, &t)?;
        super::keys::complete_import(&mut obj)?;
        if key_type.is_some() && class != ck::CKO_DOMAIN_PARAMETERS {
            factory::finish_key(&mut obj, Origin::Create, None, None);
        }
        if obj.bool(ck::CKA_TRUSTED) && !self.is_so(slot) {
            log::info!("only the SO may create trusted objects");
            return Err(Error::AttributeReadOnly);
        }
        self.insert_new_as(h, slot, rw, obj, id)
    }

    /// `C_CopyObject`: the template may change `CKA_TOKEN`, `CKA_PRIVATE`, `CKA_MODIFIABLE`,
    /// `CKA_DESTROYABLE`, `CKA_COPYABLE` (to false) and every attribute `C_SetAttributeValue`
    /// could change.
    pub fn copy_object(&self, h: u64, object: u64, raw: &[(AttrType, Vec<u8>)]) -> Result<u64> {
        let (_, slot, rw) = self.session(h)?;
        let loaded = self.load(slot, object)?;
        if loaded.locked {
            return Err(Error::UserNotLoggedIn);
        }
        if !loaded.obj.bool(ck::CKA_COPYABLE) {
            return Err(Error::ActionProhibited);
        }
        let t = self.template(raw)?;
        let so = self.is_so(slot);
        let mut obj = loaded.obj.clone();
        for (ty, v) in &t {
            factory::check_change(&obj, *ty, v, Change::Copy, so)?;
        }
        for (ty, v) in t.into_inner() {
            obj.set(ty, v);
        }
        self.insert_new(h, slot, rw, obj)
    }

    /// `C_DestroyObject`.
    pub fn destroy_object(&self, h: u64, object: u64) -> Result<()> {
        let (_, slot, rw) = self.session(h)?;
        let loaded = self.load(slot, object)?;
        if !loaded.obj.bool(ck::CKA_DESTROYABLE) {
            return Err(Error::ActionProhibited);
        }
        if let ObjRef::Token { uid, .. } = &loaded.at {
            if !rw {
                return Err(Error::SessionReadOnly);
            }
            let t = self.token(slot)?;
            self.write(t.id, Write::Delete(uid.clone()))?;
        }
        self.state().forget_handle(object);
        Ok(())
    }

    /// The handle of the token object whose `CKA_UNIQUE_ID` (the KMIP Unique Identifier) is
    /// `uid`, as seen from session `h`: `ObjectHandleInvalid` if there is none or it is private
    /// and nobody is logged in as user.
    pub fn object_by_uid(&self, h: u64, uid: &str) -> Result<u64> {
        let (_, slot, _) = self.session(h)?;
        let user = self.state().user_key(slot).is_some();
        let t = self.token(slot)?;
        let stored = self.store().load(t.id, uid)?.ok_or(Error::ObjectHandleInvalid)?;
        if stored.private && !user {
            return Err(Error::ObjectHandleInvalid);
        }
        Ok(self.state().handle_for(slot, uid, stored.private))
    }

    /// KMIP Destroy (key manager only): forgets the object's key material and records the
    /// Destroyed (or Destroyed Compromised) state, keeping the metadata, with the `extra`
    /// managed attributes (the KMIP Destroy Date) in the same write. Use is refused from then
    /// on through both doors.
    pub fn destroy_material(&self, h: u64, object: u64, extra: Vec<(AttrType, Vec<u8>)>) -> Result<()> {
        use crate::attr::{state, CKA_SOFTHSM_STATE};
        if !self.manager {
            return Err(Error::ActionProhibited);
        }
        let (_, slot, rw) = self.session(h)?;
        if !rw {
            return Err(Error::SessionReadOnly);
        }
        let loaded = self.load(slot, object)?;
        let mut obj = loaded.obj.clone();
        let compromised = obj.ulong(CKA_SOFTHSM_STATE) == Some(state::COMPROMISED);
        obj.drop_material();
        self.add_managed(&mut obj, extra)?;
        obj.set_ulong(
            CKA_SOFTHSM_STATE,
            if compromised {
                state::DESTROYED_COMPROMISED
            } else {
                state::DESTROYED
            },
        );
        self.replace(slot, &loaded, obj)
    }

    /// `C_GetObjectSize`.
    pub fn object_size(&self, h: u64, object: u64) -> Result<usize> {
        let (_, slot, _) = self.session(h)?;
        Ok(self.load(slot, object)?.obj.size())
    }

    /// `C_GetAttributeValue`: one answer per requested type.
    pub fn get_attributes(&self, h: u64, object: u64, types: &[AttrType]) -> Result<Vec<AttrValue>> {
        let (_, slot, _) = self.session(h)?;
        let loaded = self.load_as(slot, object, Open::For(types))?;
        Ok(attribute_values(&loaded.obj, loaded.locked, types))
    }

    /// [`Hsm::get_attributes`] of the token object with unique identifier `uid`, read without
    /// giving it a handle: for the key manager's searches (KMIP Locate), which look at every
    /// object of a token and would otherwise leave a handle behind for each of them.
    /// `ObjectHandleInvalid` when the session cannot see such an object.
    pub fn token_object_attributes(&self, h: u64, uid: &str, types: &[AttrType]) -> Result<Vec<AttrValue>> {
        let (_, slot, _) = self.session(h)?;
        let (obj, locked) = self
            .load_token_object(slot, uid, Open::For(types))?
            .ok_or(Error::ObjectHandleInvalid)?;
        Ok(attribute_values(&obj, locked, types))
    }

    /// `C_SetAttributeValue`.
    pub fn set_attributes(&self, h: u64, object: u64, raw: &[(AttrType, Vec<u8>)]) -> Result<()> {
        let (_, slot, rw) = self.session(h)?;
        let loaded = self.load(slot, object)?;
        if !loaded.obj.bool(ck::CKA_MODIFIABLE) {
            return Err(Error::ActionProhibited);
        }
        if matches!(loaded.at, ObjRef::Token { .. }) && !rw {
            return Err(Error::SessionReadOnly);
        }
        let t = self.template(raw)?;
        let so = self.is_so(slot);
        let mut obj = loaded.obj.clone();
        for (ty, v) in &t {
            factory::check_change(&obj, *ty, v, Change::Set, so)?;
        }
        for (ty, v) in t.into_inner() {
            obj.set(ty, v);
        }
        self.replace(slot, &loaded, obj)
    }

    /// `C_FindObjectsInit`.
    pub fn find_init(&self, h: u64, raw: &[(AttrType, Vec<u8>)]) -> Result<()> {
        let (sess, slot, _) = self.session(h)?;
        if lock(&sess).find.is_some() {
            return Err(Error::OperationActive);
        }
        // An unknown type or a malformed value matches nothing rather than failing the search.
        let template: Option<Template> = factory::normalize(raw).ok();
        let mut found = VecDeque::new();
        if let Some(t) = template {
            let pairs: Vec<(AttrType, Vec<u8>)> = t.into_inner().into_iter().collect();
            let want_token = pairs
                .iter()
                .find(|(ty, _)| *ty == ck::CKA_TOKEN)
                .map(|(_, v)| v.first() == Some(&1));
            let logged_user = self.state().user_key(slot).is_some();
            if want_token != Some(false) {
                let tok = self.token(slot)?;
                let uids = self.store().find(tok.id, &pairs, logged_user)?;
                let mut s = self.state();
                for (uid, private) in uids {
                    found.push_back(s.handle_for(slot, &uid, private));
                }
            }
            if want_token != Some(true) {
                // Only this slot's session objects, oldest first (handles grow).
                let s = self.state();
                if let Some(handles) = s.session_by_slot.get(&slot) {
                    found.extend(handles.iter().copied().filter(|h| {
                        s.session_objects
                            .get(h)
                            .is_some_and(|o| (logged_user || !o.is_private()) && o.matches(&pairs))
                    }));
                }
            }
        }
        let mut s = lock(&sess);
        if s.find.is_some() {
            return Err(Error::OperationActive);
        }
        s.find = Some(found);
        Ok(())
    }

    /// One page of the token objects (visible to the session) that match `raw`, newest first,
    /// for searches that page through a large token instead of holding every match (KMIP
    /// Locate): the unique identifiers of at most `limit` objects with a row id below `before`
    /// (all when `None`), and the cursor of the next page, `None` after the last. No handles
    /// are made: read each with [`Hsm::token_object_attributes`].
    pub fn find_token_page(
        &self,
        h: u64,
        raw: &[(AttrType, Vec<u8>)],
        before: Option<i64>,
        limit: usize,
    ) -> Result<(Vec<String>, Option<i64>)> {
        let (_, slot, _) = self.session(h)?;
        // As in `find_init`: an unknown type or a malformed value matches nothing.
        let Ok(t) = factory::normalize(raw) else {
            return Ok((Vec::new(), None));
        };
        let pairs: Vec<(AttrType, Vec<u8>)> = t.into_inner().into_iter().collect();
        if pairs
            .iter()
            .any(|(ty, v)| *ty == ck::CKA_TOKEN && v.first() != Some(&1))
        {
            return Ok((Vec::new(), None));
        }
        let logged_user = self.state().user_key(slot).is_some();
        let tok = self.token(slot)?;
        let rows = self
            .store()
            .find_page(tok.id, &pairs, logged_user, before, limit)?;
        let next = if rows.len() < limit {
            None
        } else {
            rows.last().map(|(id, _, _)| *id)
        };
        let uids = rows.into_iter().map(|(_, uid, _)| uid).collect();
        Ok((uids, next))
    }

    /// `C_FindObjects`.
    pub fn find(&self, h: u64, max: usize) -> Result<Vec<u64>> {
        let (sess, _, _) = self.session(h)?;
        let mut s = lock(&sess);
        let f = s.find.as_mut().ok_or(Error::OperationNotInitialized)?;
        let n = max.min(f.len());
        Ok(f.drain(..n).collect())
    }

    /// `C_FindObjectsFinal`.
    pub fn find_final(&self, h: u64) -> Result<()> {
        let (sess, _, _) = self.session(h)?;
        let mut s = lock(&sess);
        s.find.take().ok_or(Error::OperationNotInitialized)?;
        Ok(())
    }

    /// Lists the objects of the token in `slot` visible without a login (admin CLI).
    pub fn public_objects(&self, slot: u64) -> Result<Vec<Object>> {
        let t = self.token(slot)?;
        let uids = self.store().find(t.id, &[], false)?;
        let mut out = Vec::new();
        for (uid, _) in uids {
            if let Some(so) = self.store().load(t.id, &uid)? {
                out.push(self.open_stored(&t.uid, StoredObject { sealed: None, ..so }, None)?);
            }
        }
        Ok(out)
    }

    /// Lists the objects of the token in `slot` after a user login with `pin` (admin CLI).
    /// Sealed parts are not opened.
    pub fn all_objects(&self, slot: u64, pin: &[u8]) -> Result<Vec<Object>> {
        let t = self.token(slot)?;
        self.verify_pin(&t, Role::User, pin)?;
        let uids = self.store().find(t.id, &[], true)?;
        let mut out = Vec::new();
        for (uid, _) in uids {
            if let Some(so) = self.store().load(t.id, &uid)? {
                out.push(self.open_stored(&t.uid, StoredObject { sealed: None, ..so }, None)?);
            }
        }
        Ok(out)
    }
}

/// Whether attribute `ty` belongs to the class of `obj` (per the attribute table).
fn applies(obj: &Object, ty: AttrType) -> bool {
    attr::schema(
        obj.class().unwrap_or(u64::MAX),
        obj.key_type(),
        obj.ulong(ck::CKA_CERTIFICATE_TYPE),
    )
    .is_some_and(|groups| groups.iter().flat_map(|g| g.iter()).any(|m| m.ty == ty))
}

/// Reads the value of `ty` as text for listings.
pub fn display_value(obj: &Object, ty: AttrType) -> String {
    match (attr::def(ty).map(|d| d.kind), obj.get(ty)) {
        (_, None) => String::new(),
        (Some(attr::Kind::Utf8), Some(v)) => String::from_utf8_lossy(v).into_owned(),
        (Some(attr::Kind::Ulong), Some(v)) => attr::dec_ulong(v).map(|u| u.to_string()).unwrap_or_default(),
        (_, Some(v)) => hex::encode(v),
    }
}
